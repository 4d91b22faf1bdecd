using Csbuild.Executor.Native;

namespace Csbuild.Executor;

/// <summary>Limits of the host process that bound what a step may be given.</summary>
internal static class HostLimits
{
    private const int RLIMIT_NOFILE = 7;
    private const int CAP_SYS_RESOURCE = 24;

    /// <summary>Docker gives containers 1048576 open files.</summary>
    public const ulong DefaultMaxOpenFiles = 1_048_576;

    private static readonly Lazy<ulong> maxOpenFiles = new(ComputeMaxOpenFiles);

    /// <summary>
    /// The open-files limit for steps: Docker's 1048576, unless this process may not raise its hard limit
    /// (no CAP_SYS_RESOURCE, e.g. inside a restricted container), where the runtime would fail with EPERM;
    /// then the current hard limit.
    /// </summary>
    public static ulong MaxOpenFiles => maxOpenFiles.Value;

    private static ulong ComputeMaxOpenFiles()
    {
        if (HasEffectiveCapability(CAP_SYS_RESOURCE)) return DefaultMaxOpenFiles;
        return Math.Min(DefaultMaxOpenFiles, Posix.GetHardLimit(RLIMIT_NOFILE));
    }

    private static bool HasEffectiveCapability(int capability)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("CapEff:", StringComparison.Ordinal)) continue;
            var mask = Convert.ToUInt64(line[7..].Trim(), 16);
            return (mask & (1UL << capability)) != 0;
        }
        return false;
    }
}
