using System.Text;
using Csbuild.Oci.Native;

namespace Csbuild.Executor.Snapshotters;

/// <summary>
/// Tells a directory the snapshotter copied from the lower layers apart from one the step created in its place
/// (`rm -rf /d &amp;&amp; mkdir /d`), which must become an opaque directory in the diff. Each copied directory gets
/// its inode number recorded and a trusted.* xattr naming its path: the inode alone is not enough because a
/// file system may reuse a freed inode at once, and the xattr alone not because a step may move directories.
/// Steps cannot see or copy trusted.* xattrs (that needs CAP_SYS_ADMIN, which they do not have).
/// </summary>
internal sealed class DirectoryIdentity
{
    public static ReadOnlySpan<byte> MarkerPrefix => "trusted.csbuild."u8;
    private static readonly byte[] MarkerName = "trusted.csbuild.origin\0"u8.ToArray();

    private readonly Dictionary<string, ulong> inodes = new(StringComparer.Ordinal);
    /// <summary>False when the file system refuses trusted.* xattrs; inode numbers alone then decide.</summary>
    private bool markers = true;

    public void Record(string relativePath, string hostPath)
    {
        inodes[relativePath] = Libc.StatNoFollow(hostPath).Inode;
        if (!markers) return;
        var errno = Libc.TrySetXattr(hostPath, MarkerName.AsSpan(0, MarkerName.Length - 1), Encoding.UTF8.GetBytes(relativePath));
        if (errno is Errno.EOPNOTSUPP or Errno.EPERM) markers = false;
        else if (errno != 0) throw Libc.Error(errno, "lsetxattr(trusted.csbuild.origin)", hostPath);
    }

    /// <summary>Whether the directory now at <paramref name="relativePath"/> is the one copied there.</summary>
    public bool IsOriginal(string relativePath, string hostPath, FileStatus status)
    {
        if (!inodes.TryGetValue(relativePath, out var inode) || inode != status.Inode) return false;
        if (!markers) return true;
        Span<byte> value = stackalloc byte[4096];
        var length = Libc.GetXattr(hostPath, MarkerName, value);
        return length >= 0 && value[..length].SequenceEqual(Encoding.UTF8.GetBytes(relativePath));
    }
}
