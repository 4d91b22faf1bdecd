namespace Csbuild.Executor;

/// <summary>Finds the OCI runtime binary (runc by default).</summary>
internal static class RuntimeLocator
{
    private const string NotFound = "runc not found: install it with 'apt-get install runc' or pass --runtime";

    // Searched after PATH: services and test runners often run with a PATH that lacks the sbin directories.
    private static readonly string[] FallbackDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    public static string Locate(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            if (explicitPath.Contains('/'))
                return IsExecutable(explicitPath) ? Path.GetFullPath(explicitPath)
                    : throw new ExecutorException($"OCI runtime not found or not executable: {explicitPath}");
            return Search(explicitPath) ?? throw new ExecutorException($"OCI runtime '{explicitPath}' not found in PATH");
        }
        return Search("runc") ?? throw new ExecutorException(NotFound);
    }

    private static string? Search(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(FallbackDirectories))
        {
            var candidate = Path.Combine(dir, name);
            if (IsExecutable(candidate)) return candidate;
        }
        return null;
    }

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path) || !OperatingSystem.IsLinux()) return false;
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
