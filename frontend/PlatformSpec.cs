using System.Runtime.InteropServices;

namespace Csbuild.Frontend;

/// <summary>An OCI platform, <c>os/arch[/variant]</c>, normalised as containerd's platforms package does.</summary>
public sealed record PlatformSpec(string Os, string Architecture, string? Variant = null)
{
    /// <summary>The machine csbuild runs on, e.g. <c>linux/amd64</c>.</summary>
    public static string Host => HostPlatform.ToString();

    public static PlatformSpec HostPlatform { get; } = new("linux", RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
        System.Runtime.InteropServices.Architecture.LoongArch64 => "loong64",
        var other => other.ToString().ToLowerInvariant(),
    }, RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm ? "v7" : null);

    /// <exception cref="FormatException">Not <c>os/arch[/variant]</c>.</exception>
    public static PlatformSpec Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split('/');
        if (parts.Length is < 1 or > 3 || parts.Any(p => p.Length == 0))
            throw new FormatException($"invalid platform \"{text}\": expected os/arch[/variant]");
        if (parts.Length == 1)
        {
            // A lone architecture means linux/<arch>; a lone OS means that OS on the host architecture.
            return parts[0] is "linux" or "windows" or "darwin" or "freebsd"
                ? new PlatformSpec(parts[0], HostPlatform.Architecture, HostPlatform.Variant)
                : Normalize(new PlatformSpec("linux", parts[0]));
        }
        return Normalize(new PlatformSpec(parts[0], parts[1], parts.Length == 3 ? parts[2] : null));
    }

    private static PlatformSpec Normalize(PlatformSpec p) => p.Architecture switch
    {
        "x86_64" or "x86-64" => p with { Architecture = "amd64", Variant = p.Variant == "v1" ? null : p.Variant },
        "aarch64" => p with { Architecture = "arm64", Variant = p.Variant == "v8" ? null : p.Variant },
        "arm64" => p with { Variant = p.Variant == "v8" ? null : p.Variant },
        "i386" => p with { Architecture = "386" },
        "armhf" => p with { Architecture = "arm", Variant = "v7" },
        "armel" => p with { Architecture = "arm", Variant = "v6" },
        "arm" => p with { Variant = p.Variant ?? "v7" },
        _ => p,
    };

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
