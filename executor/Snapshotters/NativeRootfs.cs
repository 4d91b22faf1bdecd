using Csbuild.Executor.Native;

namespace Csbuild.Executor.Snapshotters;

/// <summary>
/// The native snapshotter, for hosts where overlayfs cannot be used (the root on overlayfs or a file system it
/// rejects): the step runs in a plain copy of its lower layers, and afterwards the copy is compared with the
/// layers to produce the same upper dir overlayfs would have left. Slower (a copy per step), same layers.
/// </summary>
internal sealed class NativeRootfs : IStepRootfs
{
    private const string RootfsName = "rootfs";
    private const string ClockName = "clock";

    private readonly IReadOnlyList<string> lowerDirs;
    private readonly string upperDir;
    private readonly DirectoryIdentity identity;
    private readonly long touchedAfter;
    private bool released;

    private NativeRootfs(IReadOnlyList<string> lowerDirs, string upperDir, string path, DirectoryIdentity identity, long touchedAfter)
    {
        this.lowerDirs = lowerDirs;
        this.upperDir = upperDir;
        Path = path;
        this.identity = identity;
        this.touchedAfter = touchedAfter;
    }

    public string Path { get; }

    /// <param name="lowerDirs">Read-only layers, top-most first; may be empty.</param>
    /// <param name="workDir">
    /// An empty directory on the upper dir's file system (overlayfs' work dir in the other snapshotter),
    /// so that changed files can be renamed into the upper dir instead of copied.
    /// </param>
    public static NativeRootfs Create(IReadOnlyList<string> lowerDirs, string upperDir, string workDir, CancellationToken ct = default)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(workDir), RootfsName);
        Directory.CreateDirectory(path);
        try
        {
            var identity = new DirectoryIdentity();
            MergedTreeCopy.Copy(lowerDirs, path, identity, ct);
            var touchedAfter = WaitForClockTick(System.IO.Path.Combine(workDir, ClockName));
            return new NativeRootfs(lowerDirs, System.IO.Path.GetFullPath(upperDir), path, identity, touchedAfter);
        }
        catch
        {
            DeleteCopy(path);
            throw;
        }
    }

    /// <summary>
    /// Returns a ctime that every inode written so far has at most and every inode written from now on exceeds.
    /// The kernel stamps ctimes from a coarse clock (one tick is a few ms), so wait until a fresh stamp differs.
    /// </summary>
    private static long WaitForClockTick(string clockFile)
    {
        File.WriteAllBytes(clockFile, []);
        var before = NodeStatus.Get(clockFile).ChangeTimeNanoseconds;
        while (true)
        {
            Thread.Sleep(1);
            File.SetUnixFileMode(clockFile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // a chmod stamps a new ctime
            if (NodeStatus.Get(clockFile).ChangeTimeNanoseconds > before) break;
        }
        File.Delete(clockFile);
        return before;
    }

    public void Complete()
    {
        if (released) return;
        new RootfsDiff(Path, upperDir, touchedAfter, identity).Write(lowerDirs);
        Dispose();
    }

    public void Dispose()
    {
        if (released) return;
        released = true;
        DeleteCopy(Path);
    }

    private static void DeleteCopy(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
    }
}
