using Csbuild.Executor.Native;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Native;

namespace Csbuild.Executor.Snapshotters;

/// <summary>
/// After a step ran in a copied rootfs, moves what it changed into the upper dir in overlayfs' upper-dir format,
/// so the layer writer cannot tell the snapshotters apart: changed and new entries (hardlinks kept), deleted ones as
/// 0:0 character devices, directories the step replaced as opaque directories (trusted.overlay.opaque=y), and the
/// directories above any of them. When the upper dir is itself on overlayfs, where a 0:0 device would read back as
/// "absent", OCI whiteout files (<c>.wh.NAME</c>, <c>.wh..wh..opq</c>) are written instead.
///
/// "Changed" follows overlayfs' copy-up rule: every inode the step touched (its ctime is past
/// <c>touchedAfter</c>), whether or not the bytes differ, plus anything whose metadata differs from the lower layers.
/// The rootfs is consumed: entries are renamed out of it.
/// </summary>
internal sealed class RootfsDiff(string rootfs, string upperDir, long touchedAfter, DirectoryIdentity identity)
{
    private static readonly byte[] OpaqueXattr = "trusted.overlay.opaque"u8.ToArray();

    private readonly NodeCopier copier = new();
    private readonly bool ociWhiteouts = Posix.IsOnOverlayfs(upperDir);

    public void Write(IReadOnlyList<string> lowerDirsTopFirst, CancellationToken ct = default) =>
        DiffOriginalDirectory("", LowerStack.Root(lowerDirsTopFirst), ct);

    /// <summary>Diffs a directory the step kept; returns whether the upper dir now has it.</summary>
    private bool DiffOriginalDirectory(string relativePath, LowerStack lower, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var host = RootfsPath(relativePath);
        // Read before any child is moved out, which changes the directory's own mtime.
        var (status, changeTime) = NodeStatus.Get(host);
        var selfChanged = changeTime > touchedAfter;
        var present = new HashSet<string>(StringComparer.Ordinal);

        foreach (var childHost in Directory.EnumerateFileSystemEntries(host).ToList())
        {
            var name = Path.GetFileName(childHost);
            present.Add(name);
            var childPath = Join(relativePath, name);
            var (childStatus, childChangeTime) = NodeStatus.Get(childHost);
            var below = lower.Find(name);
            if (childStatus.IsDirectory)
            {
                if (below?.Directory is { } childLower && identity.IsOriginal(childPath, childHost, childStatus))
                    DiffOriginalDirectory(childPath, childLower, ct);
                else
                    MoveNewDirectory(childPath, childStatus, opaque: below is not null, ct);
            }
            else if (below is null || childChangeTime > touchedAfter || Differs(childStatus, below.Status))
            {
                MoveNode(childPath, childStatus);
            }
        }

        // Deleting or renaming an entry changes its directory's ctime, so an untouched directory lost nothing.
        if (selfChanged)
        {
            foreach (var name in lower.Names())
            {
                if (present.Contains(name) || lower.Find(name) is null) continue;
                WriteWhiteout(Join(relativePath, name));
            }
        }

        var upper = UpperPath(relativePath);
        var inUpper = relativePath.Length == 0 || Directory.Exists(upper);
        if (!selfChanged && !inUpper) return false;
        if (relativePath.Length == 0) return true; // the upper dir's root is no layer entry
        if (!Directory.Exists(upper)) NodeCopier.CreateDirectory(upper);
        copier.ApplyMetadata(host, status, upper);
        return true;
    }

    /// <summary>A directory that is not the lower one (new, or replacing something): all of it goes to the upper dir.</summary>
    private void MoveNewDirectory(string relativePath, FileStatus status, bool opaque, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var host = RootfsPath(relativePath);
        var upper = UpperPath(relativePath);
        EnsureUpperParent(relativePath);
        NodeCopier.CreateDirectory(upper);
        foreach (var childHost in Directory.EnumerateFileSystemEntries(host).ToList())
        {
            var childPath = Join(relativePath, Path.GetFileName(childHost));
            var childStatus = Libc.StatNoFollow(childHost);
            if (childStatus.IsDirectory) MoveNewDirectory(childPath, childStatus, opaque: false, ct);
            else MoveNode(childPath, childStatus);
        }
        if (opaque)
        {
            if (ociWhiteouts) File.Create(Path.Combine(upper, Whiteouts.OpaqueMarker)).Dispose();
            else Libc.SetXattr(upper, OpaqueXattr, "y"u8);
        }
        copier.ApplyMetadata(host, status, upper);
    }

    /// <summary>Moves a non-directory into the upper dir; renaming keeps hardlinked files hardlinked.</summary>
    private void MoveNode(string relativePath, FileStatus status)
    {
        EnsureUpperParent(relativePath);
        var from = RootfsPath(relativePath);
        var to = UpperPath(relativePath);
        if (Libc.rename(from, to) == 0) return;
        var errno = Libc.LastErrno;
        if (errno != Errno.EXDEV) throw Libc.Error(errno, "rename", from + "' -> '" + to);
        copier.CopyNode(from, status, to); // the rootfs is on another file system than the upper dir
    }

    private void WriteWhiteout(string relativePath)
    {
        EnsureUpperParent(relativePath);
        if (ociWhiteouts)
        {
            var parent = Path.GetDirectoryName(UpperPath(relativePath))!;
            File.Create(Path.Combine(parent, Whiteouts.Prefix + Path.GetFileName(relativePath))).Dispose();
        }
        else
        {
            Libc.CreateNode(UpperPath(relativePath), Libc.S_IFCHR, 0, 0);
        }
    }

    /// <summary>
    /// Creates the upper dir's parents of <paramref name="relativePath"/> as placeholders; each gets its real
    /// metadata when <see cref="DiffOriginalDirectory"/> finishes it.
    /// </summary>
    private void EnsureUpperParent(string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        if (slash > 0) Directory.CreateDirectory(UpperPath(relativePath[..slash]));
    }

    /// <summary>Metadata differences that matter even when the step did not touch the inode (e.g. a renamed-over file).</summary>
    private static bool Differs(FileStatus now, FileStatus before) =>
        now.Mode != before.Mode || now.Uid != before.Uid || now.Gid != before.Gid || now.Size != before.Size ||
        now.MtimeSeconds != before.MtimeSeconds || now.MtimeNanoseconds != before.MtimeNanoseconds ||
        now.RdevMajor != before.RdevMajor || now.RdevMinor != before.RdevMinor;

    private string RootfsPath(string relativePath) => relativePath.Length == 0 ? rootfs : Path.Combine(rootfs, relativePath);
    private string UpperPath(string relativePath) => relativePath.Length == 0 ? upperDir : Path.Combine(upperDir, relativePath);
    private static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;
}
