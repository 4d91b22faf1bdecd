using System.Runtime.InteropServices;
using Csbuild.Oci.Model;

namespace Csbuild.Solver;

/// <summary>Platform strings as Docker writes them: <c>linux/amd64</c>, <c>linux/arm64/v8</c>.</summary>
public static class PlatformSpec
{
    public static string Host => "linux/" + HostArchitecture;

    public static string HostArchitecture => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.X86 => "386",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.RiscV64 => "riscv64",
        var other => other.ToString().ToLowerInvariant(),
    };

    public static Platform Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(string.IsNullOrWhiteSpace))
            throw new FormatException($"invalid platform '{text}': expected os/arch[/variant]");
        return new Platform { Os = parts[0], Architecture = parts[1], Variant = parts.Length == 3 ? parts[2] : null };
    }
}
