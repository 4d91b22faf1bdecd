using System.Text;
using Csbuild.Oci.Native;

namespace Csbuild.Executor.Snapshotters;

/// <summary>
/// Copies single file system nodes with everything a layer records about them: content, mode (with
/// setuid/setgid/sticky), owner, xattrs (security.capability included), mtime, symlink target, device
/// number. Files that are hardlinked at the source stay hardlinked at the destination. Not thread-safe
/// (it reuses its xattr buffers).
/// </summary>
internal sealed class NodeCopier
{
    private readonly byte[] names = new byte[Libc.XattrListMax];
    private readonly byte[] value = new byte[Libc.XattrSizeMax];
    private readonly Dictionary<(uint Major, uint Minor, ulong Inode), string> linked = [];

    /// <summary>Xattrs never copied: overlayfs' own bookkeeping and the snapshotter's directory markers.</summary>
    public static bool IsPrivateXattr(ReadOnlySpan<byte> name) =>
        name.StartsWith("trusted.overlay."u8) || name.StartsWith("user.overlay."u8) || name.StartsWith(DirectoryIdentity.MarkerPrefix);

    /// <summary>Copies a non-directory node to <paramref name="destination"/>, which must not exist.</summary>
    public void CopyNode(string source, FileStatus status, string destination)
    {
        if (status.IsDirectory) throw new ArgumentException("use CreateDirectory and ApplyMetadata for directories", nameof(status));
        if (status.LinkCount > 1 && !status.IsSymbolicLink)
        {
            var key = (status.DeviceMajor, status.DeviceMinor, status.Inode);
            if (linked.TryGetValue(key, out var first))
            {
                Libc.CreateHardLink(first, destination);
                return;
            }
            linked[key] = destination;
        }

        if (status.IsRegularFile)
            File.Copy(source, destination);
        else if (status.IsSymbolicLink)
            File.CreateSymbolicLink(destination, new FileInfo(source).LinkTarget
                ?? throw new IOException($"cannot read the symlink {source}"));
        else
            Libc.CreateNode(destination, status.FileType | 0x180 /* 0600 */, status.RdevMajor, status.RdevMinor);
        ApplyMetadata(source, status, destination);
    }

    /// <summary>A new directory for the copy; give it its metadata with <see cref="ApplyMetadata"/> after its children.</summary>
    public static void CreateDirectory(string destination) =>
        Libc.ThrowIfFailed(Libc.mkdir(destination, 0x1C0 /* 0700 */), "mkdir", destination);

    /// <summary>
    /// Owner, then mode (chown clears setuid bits), then xattrs (chown clears security.capability), then mtime,
    /// last because everything else could touch it.
    /// </summary>
    public void ApplyMetadata(string source, FileStatus status, string destination)
    {
        Libc.ChangeOwnerNoFollow(destination, (int)status.Uid, (int)status.Gid);
        if (!status.IsSymbolicLink) File.SetUnixFileMode(destination, (UnixFileMode)status.Permissions);
        CopyXattrs(source, destination);
        Libc.SetTimesNoFollow(destination, status.MtimeSeconds, status.MtimeNanoseconds);
    }

    private void CopyXattrs(string source, string destination)
    {
        var length = Libc.ListXattrs(source, names);
        var start = 0;
        for (int i = 0; i < length; i++)
        {
            if (names[i] != 0) continue;
            var name = names.AsSpan(start, i - start + 1); // NUL included, as lgetxattr wants it
            start = i + 1;
            if (name.Length <= 1 || IsPrivateXattr(name)) continue;
            var size = Libc.GetXattr(source, name, value);
            if (size < 0) continue; // removed meanwhile
            var errno = Libc.TrySetXattr(destination, name[..^1], value.AsSpan(0, size));
            if (errno != 0)
                throw Libc.Error(errno, $"lsetxattr({Encoding.UTF8.GetString(name[..^1])})", destination);
        }
    }
}
