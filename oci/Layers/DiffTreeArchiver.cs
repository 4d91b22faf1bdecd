using System.Buffers;
using System.Formats.Tar;
using System.IO.Enumeration;
using System.Text;
using Csbuild.Oci.Layers.Tar;
using Csbuild.Oci.Native;

namespace Csbuild.Oci.Layers;

/// <summary>
/// Walks a diff directory depth first and emits its tar entries, converting both whiteout encodings (overlayfs
/// and OCI files) into OCI whiteout entries, so the two forms of the same change produce identical tars.
/// Children are ordered by their tar names, i.e. a deleted NAME sorts as <c>.wh.NAME</c>.
/// </summary>
internal sealed class DiffTreeArchiver : IDisposable
{
    private const int CopyBufferSize = 1024 * 1024;

    private static readonly EnumerationOptions ListingOptions = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = false,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    private readonly string _root;
    private readonly TarArchiveWriter _tar;
    private readonly LayerWriteOptions _options;
    private readonly long? _clampSeconds;
    private readonly Dictionary<(uint, uint, ulong), string> _linkTargets = [];
    private byte[]? _copyBuffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
    private readonly byte[] _xattrNames = new byte[Libc.XattrListMax];
    private readonly byte[] _xattrValue = new byte[Libc.XattrSizeMax];

    public DiffTreeArchiver(string root, TarArchiveWriter tar, LayerWriteOptions options)
    {
        _root = root;
        _tar = tar;
        _options = options;
        _clampSeconds = options.ClampTimestamp?.ToUnixTimeSeconds();
    }

    public int EntryCount { get; private set; }

    /// <summary>Archives everything below the root; the root itself gets no entry, only its opaque marker if it has one.</summary>
    public void ArchiveContents()
    {
        var rootStatus = Libc.StatNoFollow(_root);
        ReadXattrs(_root, "", out bool rootOpaque);
        ArchiveDirectory(_root, "", rootOpaque, rootStatus.MtimeSeconds);
    }

    public void Dispose()
    {
        if (_copyBuffer is null) return;
        ArrayPool<byte>.Shared.Return(_copyBuffer);
        _copyBuffer = null;
    }

    private enum ChildKind { Whiteout, OpaqueMarker, Directory, RegularFile, SymbolicLink, Device, Fifo, Socket }

    private readonly record struct Child(string DiskName, string TarName, FileStatus Status, ChildKind Kind);

    private void ArchiveDirectory(string fullPath, string relativePath, bool opaque, long directoryMtime)
    {
        var children = ListChildren(fullPath, relativePath);
        if (children.Exists(c => c.Kind == ChildKind.OpaqueMarker)) opaque = true;
        if (opaque)
            WriteMarker(Join(relativePath, Whiteouts.OpaqueMarker), directoryMtime);

        string? previousTarName = null;
        foreach (var child in children)
        {
            // A deletion may be present in both encodings (0:0 device NAME and file .wh.NAME); write it once.
            if (child.Kind == ChildKind.OpaqueMarker || child.TarName == previousTarName) continue;
            previousTarName = child.TarName;
            string childFull = fullPath + "/" + child.DiskName;
            string childRelative = Join(relativePath, child.TarName);
            switch (child.Kind)
            {
                case ChildKind.Whiteout:
                    WriteMarker(childRelative, child.Status.MtimeSeconds);
                    break;
                case ChildKind.Directory:
                    bool childOpaque = WriteNode(childFull, childRelative, child.Status, TarEntryType.Directory);
                    ArchiveDirectory(childFull, childRelative, childOpaque, child.Status.MtimeSeconds);
                    break;
                case ChildKind.RegularFile:
                    WriteRegularFile(childFull, childRelative, child.Status);
                    break;
                case ChildKind.SymbolicLink:
                    WriteNode(childFull, childRelative, child.Status, TarEntryType.SymbolicLink);
                    break;
                case ChildKind.Device:
                    WriteNode(childFull, childRelative, child.Status,
                        child.Status.IsBlockDevice ? TarEntryType.BlockDevice : TarEntryType.CharacterDevice);
                    break;
                case ChildKind.Fifo:
                    WriteNode(childFull, childRelative, child.Status, TarEntryType.Fifo);
                    break;
                case ChildKind.Socket:
                    break; // tar cannot represent sockets; BuildKit and containerd skip them too
            }
        }
    }

    private List<Child> ListChildren(string fullPath, string relativePath)
    {
        var names = new FileSystemEnumerable<string>(fullPath, static (ref FileSystemEntry e) => e.FileName.ToString(), ListingOptions);
        var children = new List<Child>();
        foreach (string name in names)
        {
            string childFull = fullPath + "/" + name;
            var status = Libc.StatNoFollow(childFull);
            children.Add(Classify(name, status, Join(relativePath, name)));
        }
        children.Sort(static (a, b) => Utf8OrdinalComparer.Instance.Compare(a.TarName, b.TarName));
        return children;
    }

    private static Child Classify(string name, FileStatus status, string relativePath)
    {
        if (status.IsOverlayWhiteout) return new Child(name, Whiteouts.Prefix + name, status, ChildKind.Whiteout);
        bool opaqueMarker = name == Whiteouts.OpaqueMarker;
        if (opaqueMarker || Whiteouts.IsWhiteoutName(name, out _))
        {
            if (!status.IsRegularFile)
                throw new InvalidDataException($"'{relativePath}' has a whiteout name but is not a regular file");
            return new Child(name, name, status, opaqueMarker ? ChildKind.OpaqueMarker : ChildKind.Whiteout);
        }
        var kind = status.FileType switch
        {
            Libc.S_IFDIR => ChildKind.Directory,
            Libc.S_IFREG => ChildKind.RegularFile,
            Libc.S_IFLNK => ChildKind.SymbolicLink,
            Libc.S_IFCHR or Libc.S_IFBLK => ChildKind.Device,
            Libc.S_IFIFO => ChildKind.Fifo,
            _ => ChildKind.Socket,
        };
        return new Child(name, name, status, kind);
    }

    /// <summary>A whiteout or opaque marker entry: an empty file, mode 0, owned by root (as containerd writes them).</summary>
    private void WriteMarker(string tarName, long mtimeSeconds)
    {
        _tar.WriteHeader(new LayerTarEntry
        {
            Type = TarEntryType.RegularFile,
            Name = tarName,
            ModificationTimeSeconds = Clamp(mtimeSeconds),
        });
        EntryCount++;
    }

    private void WriteRegularFile(string fullPath, string tarName, FileStatus status)
    {
        if (status.LinkCount > 1)
        {
            var inode = (status.DeviceMajor, status.DeviceMinor, status.Inode);
            if (_linkTargets.TryGetValue(inode, out string? target))
            {
                _tar.WriteHeader(Header(tarName, status, TarEntryType.HardLink, linkName: target, size: 0, xattrs: []));
                EntryCount++;
                return;
            }
            _linkTargets[inode] = tarName;
        }
        var xattrs = ReadXattrs(fullPath, tarName, out _);
        _tar.WriteHeader(Header(tarName, status, TarEntryType.RegularFile, linkName: "", size: status.Size, xattrs));
        EntryCount++;
        if (status.Size > 0) CopyContents(fullPath, status.Size);
    }

    /// <summary>Writes a non-regular entry; returns whether a directory is marked opaque by xattr.</summary>
    private bool WriteNode(string fullPath, string tarName, FileStatus status, TarEntryType type)
    {
        var xattrs = ReadXattrs(fullPath, tarName, out bool opaque);
        string linkName = type == TarEntryType.SymbolicLink
            ? new FileInfo(fullPath).LinkTarget ?? throw new IOException($"'{fullPath}' stopped being a symlink while being archived")
            : "";
        string name = type == TarEntryType.Directory ? tarName + "/" : tarName;
        _tar.WriteHeader(Header(name, status, type, linkName, size: 0, xattrs));
        EntryCount++;
        return type == TarEntryType.Directory && opaque;
    }

    private LayerTarEntry Header(string tarName, FileStatus status, TarEntryType type, string linkName, long size,
        IReadOnlyList<TarXattr> xattrs)
    {
        int uid = (int)status.Uid, gid = (int)status.Gid;
        if (_options.OwnerOverride?.Invoke(tarName.TrimEnd('/')) is { } owner) (uid, gid) = owner;
        bool device = type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice;
        return new LayerTarEntry
        {
            Type = type,
            Name = tarName,
            LinkName = linkName,
            Mode = (int)status.Permissions,
            Uid = uid,
            Gid = gid,
            Size = size,
            ModificationTimeSeconds = Clamp(status.MtimeSeconds),
            DeviceMajor = device ? (int)status.RdevMajor : 0,
            DeviceMinor = device ? (int)status.RdevMinor : 0,
            Xattrs = xattrs,
        };
    }

    private void CopyContents(string fullPath, long size)
    {
        using var file = RawFile.OpenRead(fullPath); // open + read + close: no locks or hints per file
        var buffer = _copyBuffer!;
        long remaining = size;
        while (remaining > 0)
        {
            int n = file.Read(buffer.AsSpan(0, (int)Math.Min(buffer.Length, remaining)));
            if (n == 0) throw new IOException($"'{fullPath}' shrank while being archived ({remaining} of {size} bytes missing)");
            _tar.WriteData(buffer.AsSpan(0, n));
            remaining -= n;
        }
    }

    /// <summary>
    /// The xattrs to archive. overlayfs' own attributes are dropped (opaque is reported through
    /// <paramref name="opaque"/>); redirect/metacopy mean the upper dir alone does not hold the change, which we
    /// cannot archive. security.selinux is a host label, not image content.
    /// </summary>
    private IReadOnlyList<TarXattr> ReadXattrs(string fullPath, string tarName, out bool opaque)
    {
        opaque = false;
        int listLength = Libc.ListXattrs(fullPath, _xattrNames);
        if (listLength == 0) return [];
        List<TarXattr>? result = null;
        var list = _xattrNames.AsSpan(0, listLength);
        while (!list.IsEmpty)
        {
            int end = list.IndexOf((byte)0);
            if (end < 0) end = list.Length;
            var name = list[..end];
            var nameWithNul = list[..Math.Min(end + 1, list.Length)];
            list = list[Math.Min(end + 1, list.Length)..];
            if (name.IsEmpty) continue;

            bool overlayOwn = name.StartsWith(Whiteouts.TrustedOverlayPrefix) || name.StartsWith(Whiteouts.UserOverlayPrefix);
            if (overlayOwn)
            {
                if (name.EndsWith(".redirect"u8) || name.EndsWith(".metacopy"u8))
                    throw new NotSupportedException($"'{tarName}' carries the overlayfs xattr {Encoding.UTF8.GetString(name)}: " +
                        "mount overlay with redirect_dir=off,metacopy=off so the upper dir holds complete changes");
                if (name.SequenceEqual(Whiteouts.OverlayOpaqueXattrBytes) || name.SequenceEqual(Whiteouts.UserOverlayOpaqueXattrBytes))
                {
                    int length = Libc.GetXattr(fullPath, nameWithNul, _xattrValue);
                    opaque |= length == 1 && _xattrValue[0] == (byte)'y';
                }
                continue;
            }
            if (name.SequenceEqual("security.selinux"u8)) continue;
            int valueLength = Libc.GetXattr(fullPath, nameWithNul, _xattrValue);
            if (valueLength < 0) continue; // removed since the listing
            (result ??= []).Add(new TarXattr(name.ToArray(), _xattrValue.AsSpan(0, valueLength).ToArray()));
        }
        return (IReadOnlyList<TarXattr>?)result ?? [];
    }

    private long Clamp(long seconds) => _clampSeconds is { } clamp && seconds > clamp ? clamp : seconds;

    private static string Join(string relativeDirectory, string name) =>
        relativeDirectory.Length == 0 ? name : relativeDirectory + "/" + name;
}
