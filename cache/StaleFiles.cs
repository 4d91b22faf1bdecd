namespace Csbuild.Cache;

/// <summary>
/// Temp files and directories are named with the writing process's pid (<c>NAME.PID.tmp</c>), so the next
/// process can tell a leftover of a killed process from a file another live process is still writing.
/// </summary>
public static class StaleFiles
{
    private static readonly string Suffix = $".{Environment.ProcessId}.tmp";
    private static long _counter;

    /// <summary>A fresh temp path in <paramref name="directory"/> owned by this process.</summary>
    public static string NewPath(string directory, string hint = "t") =>
        Path.Combine(directory, $"{hint}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..8]}{Suffix}");

    public static bool IsOwnedByDeadProcess(string name)
    {
        if (!name.EndsWith(".tmp", StringComparison.Ordinal)) return false;
        var withoutTmp = name[..^4];
        var dot = withoutTmp.LastIndexOf('.');
        if (dot < 0 || !int.TryParse(withoutTmp[(dot + 1)..], out var pid)) return true;
        return !ProcessIsAlive(pid);
    }

    public static bool ProcessIsAlive(int pid) => pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}");

    /// <summary>Removes entries of <paramref name="directory"/> left by processes that no longer run.</summary>
    public static void Clean(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (!IsOwnedByDeadProcess(entry.Name)) continue;
            // A killed RUN step leaves its overlay mounted here; never delete through a mount.
            if (!Gc.StaleMounts.Detach(entry.FullName)) continue;
            try
            {
                DeleteTree(entry.FullName);
            }
            catch (IOException)
            {
                // Still in use (a killed build's container may still be running): the next process retries.
            }
        }
    }

    /// <summary>Deletes a file or a directory tree without following symlinks; a missing path is fine.</summary>
    public static void DeleteTree(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null && Directory.Exists(path))
        {
            MakeWritable(path);
            Directory.Delete(path, recursive: true);
        }
        else if (info.Exists || info.LinkTarget is not null)
        {
            File.Delete(path);
        }
    }

    // Directories without the write bit (e.g. mode 0555 from a layer) cannot be emptied by a non-root user.
    private static void MakeWritable(string directory)
    {
        if (Environment.IsPrivilegedProcess) return;
        foreach (var dir in Directory.EnumerateDirectories(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).Prepend(directory))
        {
            try { File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.UserRead); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
