using System.Runtime.InteropServices;
using Csbuild.Executor.Spec;

namespace Csbuild.Executor.Seccomp;

/// <summary>
/// Resolves <see cref="DefaultSeccompProfile"/> for one step: the architectures of this host (with the 32-bit
/// ABIs its kernel also runs), and the conditional rules whose architecture, capability and kernel conditions hold.
/// </summary>
public static class SeccompProfileBuilder
{
    /// <summary>Docker's default profile for a step holding <paramref name="capabilities"/>, for this host.</summary>
    public static SpecSeccomp Build(IEnumerable<string> capabilities) =>
        Build(capabilities, RuntimeInformation.OSArchitecture, Environment.OSVersion.Version);

    public static SpecSeccomp Build(IEnumerable<string> capabilities, Architecture architecture, Version kernel)
    {
        var (goArch, scmpArches) = architecture switch
        {
            // x86-64 kernels also run i386 and x32 binaries; arm64 kernels 32-bit ARM ones.
            Architecture.X64 => ("amd64", new List<string> { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" }),
            Architecture.Arm64 => ("arm64", ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]),
            _ => throw new ExecutorException($"no seccomp profile for the {architecture} architecture; only x86-64 and arm64 are supported"),
        };
        var caps = capabilities.ToHashSet(StringComparer.Ordinal);
        var syscalls = new List<SpecSyscall>
        {
            new() { Names = [.. DefaultSeccompProfile.AlwaysAllowed], Action = DefaultSeccompProfile.Allow },
        };
        foreach (var rule in DefaultSeccompProfile.ConditionalRules)
        {
            if (!Applies(rule, goArch, caps, kernel)) continue;
            syscalls.Add(new SpecSyscall
            {
                Names = [.. rule.Names],
                Action = rule.Action,
                ErrnoRet = rule.ErrnoRet,
                Args = rule.Args is null ? null : [.. rule.Args],
            });
        }
        return new SpecSeccomp
        {
            DefaultAction = DefaultSeccompProfile.Errno,
            DefaultErrnoRet = DefaultSeccompProfile.EPERM,
            Architectures = scmpArches,
            Syscalls = syscalls,
        };
    }

    private static bool Applies(SeccompRule rule, string arch, HashSet<string> caps, Version kernel)
    {
        if (rule.IncludeArches is { } arches && !arches.Contains(arch)) return false;
        if (rule.IncludeCaps is { } needed && !needed.All(caps.Contains)) return false;
        if (rule.MinKernel is { } minimum && kernel < minimum) return false;
        if (rule.ExcludeArches is { } notArches && notArches.Contains(arch)) return false;
        if (rule.ExcludeCaps is { } notCaps && notCaps.Any(caps.Contains)) return false;
        return true;
    }
}
