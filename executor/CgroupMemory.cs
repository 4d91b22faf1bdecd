namespace Csbuild.Executor;

/// <summary>Reads how many times the kernel's OOM killer struck inside a cgroup (v1 or v2).</summary>
internal static class CgroupMemory
{
    private const string CgroupRoot = "/sys/fs/cgroup";

    /// <param name="cgroupsPath">The path given to the runtime (config.json linux.cgroupsPath), e.g. "/csbuild/id".</param>
    /// <returns>The oom_kill counter, or 0 when the cgroup or counter is not there.</returns>
    public static long OomKillCount(string cgroupsPath) => OomKillCount(cgroupsPath, CgroupRoot);

    /// <param name="cgroupRoot">Where the cgroup file systems are mounted (a test may pass a fake tree).</param>
    internal static long OomKillCount(string cgroupsPath, string cgroupRoot)
    {
        var relative = cgroupsPath.TrimStart('/');
        // cgroup v2 (unified): memory.events; v1 (including hybrid hosts): memory.oom_control.
        var file = File.Exists(Path.Combine(cgroupRoot, "cgroup.controllers"))
            ? Path.Combine(cgroupRoot, relative, "memory.events")
            : Path.Combine(cgroupRoot, "memory", relative, "memory.oom_control");
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                if (line.StartsWith("oom_kill ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(9), out var count))
                    return count;
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
        }
        return 0;
    }
}
