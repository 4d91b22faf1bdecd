using System.Text;
using Csbuild.Executor.Native;
using Csbuild.Oci.Native;
using Csbuild.Executor.Snapshotters;

namespace Csbuild.Executor;

/// <summary>
/// An overlayfs mount of read-only lower dirs plus a writable upper dir, unmounted on dispose.
/// Lower dirs are given top-most first, the order overlayfs' lowerdir option uses.
/// </summary>
public sealed class OverlayMount : IStepRootfs
{
    /// <summary>The kernel copies mount data into one page; longer option strings are rejected.</summary>
    private const int MountDataLimit = 4095;

    public string Target { get; }
    private bool mounted;

    private OverlayMount(string target)
    {
        Target = target;
        mounted = true;
    }

    /// <param name="lowerDirs">Read-only layers, top-most first; may be empty.</param>
    /// <param name="emptyLowerDir">
    /// Used when <paramref name="lowerDirs"/> is empty (overlayfs needs at least one lower dir); created if missing.
    /// </param>
    public static OverlayMount Mount(IReadOnlyList<string> lowerDirs, string upperDir, string workDir, string target, string emptyLowerDir)
    {
        if (lowerDirs.Count == 0)
        {
            Directory.CreateDirectory(emptyLowerDir);
            lowerDirs = [emptyLowerDir];
        }
        var options = ",upperdir=" + Escape(Path.GetFullPath(upperDir)) + ",workdir=" + Escape(Path.GetFullPath(workDir)) +
            // The upper dir is read back as a layer diff, so it must hold whole files and whole directories:
            // no metadata-only copy-ups and no rename redirects (a directory rename then fails with EXDEV and
            // tools fall back to copying, as on Docker's overlay2). Kernels may default these on.
            ",redirect_dir=off,metacopy=off,index=off";
        if (_volatileRefused) return MountLowers(lowerDirs, target, 0, options);
        try
        {
            return MountLowers(lowerDirs, target, 0, options + ",volatile");
        }
        catch (NativeIOException e) when (e.Errno == Errno.EINVAL)
        {
            // Kernels before 5.10 do not know the option; the mount is the same without it, only slower to unmount.
            var mount = MountLowers(lowerDirs, target, 0, options);
            _volatileRefused = true;
            return mount;
        }
    }

    // "volatile" drops the upper dir's syncs: the unmount after a step would otherwise syncfs the whole file system
    // under it, waiting for every dirty page of every process (seconds on a busy CI machine), and a step's own
    // fsync calls (dpkg makes thousands) would go to disk. A step's result becomes durable as its layer blob,
    // which the content store fsyncs; buildah mounts its build containers the same way.
    private static volatile bool _volatileRefused;

    /// <summary>A read-only merged view of two or more lower dirs (overlayfs without an upper dir), top-most first.</summary>
    public static OverlayMount MountReadOnly(IReadOnlyList<string> lowerDirs, string target)
    {
        if (lowerDirs.Count < 2) throw new ArgumentException("a read-only overlay needs at least two lower dirs", nameof(lowerDirs));
        return MountLowers(lowerDirs, target, Libc.MsRdonly, "");
    }

    private static OverlayMount MountLowers(IReadOnlyList<string> lowerDirs, string target, ulong flags, string otherOptions)
    {
        Directory.CreateDirectory(target);
        var data = "lowerdir=" + string.Join(':', lowerDirs.Select(d => Escape(Path.GetFullPath(d)))) + otherOptions;
        if (Encoding.UTF8.GetByteCount(data) <= MountDataLimit)
        {
            Libc.Mount("overlay", target, "overlay", flags, data);
            return new OverlayMount(target);
        }

        // Too many or too long lower paths for one page: name each lower dir by a short descriptor path
        // (/proc/self/fd/N), which the kernel resolves during the mount. Thread-safe, unlike chdir tricks.
        var descriptors = new List<int>(lowerDirs.Count);
        try
        {
            foreach (var dir in lowerDirs) descriptors.Add(Posix.OpenDirectoryPath(dir));
            data = "lowerdir=" + string.Join(':', descriptors.Select(fd => "/proc/self/fd/" + fd)) + otherOptions;
            if (Encoding.UTF8.GetByteCount(data) > MountDataLimit)
                throw new ExecutorException($"too many lower layers for one overlay mount ({lowerDirs.Count})");
            Libc.Mount("overlay", target, "overlay", flags, data);
            return new OverlayMount(target);
        }
        finally
        {
            foreach (var fd in descriptors) Posix.Close(fd);
        }
    }

    /// <summary>overlayfs treats ':' and ',' as separators; a backslash escapes them.</summary>
    private static string Escape(string path) =>
        path.Replace("\\", "\\\\").Replace(":", "\\:").Replace(",", "\\,");

    string IStepRootfs.Path => Target;

    /// <summary>The upper dir already holds the changes: unmounting is all there is to do.</summary>
    void IStepRootfs.Complete() => Dispose();

    public void Dispose()
    {
        if (!mounted) return;
        mounted = false;
        Mounts.Unmount(Target);
    }
}
