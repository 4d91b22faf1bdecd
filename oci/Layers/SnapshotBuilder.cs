using System.Buffers;
using System.Formats.Tar;
using Csbuild.Oci.Layers.Tar;
using Csbuild.Oci.Native;
using Microsoft.Win32.SafeHandles;

namespace Csbuild.Oci.Layers;

/// <summary>
/// Materializes tar entries inside a <see cref="ContainedTree"/>: files, directories, links, nodes and whiteouts
/// with their metadata. Existing paths are always unlinked and recreated, never opened for writing, so an
/// entry can never write through a link an earlier entry planted. Directory modes and times are applied last
/// (<see cref="Finish"/>), since creating children changes a directory's mtime and a read-only directory
/// would stop an unprivileged extraction from filling it.
/// </summary>
internal sealed class SnapshotBuilder : IDisposable
{
    private const int CopyBufferSize = 1024 * 1024;
    private const int TemporaryFileMode = 0x180;      // 0600 while the data is written
    private const int TemporaryDirectoryMode = 0x1C0; // 0700 until Finish

    private readonly ContainedTree _tree;
    private readonly bool _privileged;
    private readonly bool _allowDevices;
    private readonly Dictionary<string, (int Mode, long Seconds, int Nanoseconds)> _directories = new(StringComparer.Ordinal);
    private byte[]? _copyBuffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);

    public SnapshotBuilder(ContainedTree tree, bool privileged, bool allowDevices)
    {
        _tree = tree;
        _privileged = privileged;
        _allowDevices = allowDevices;
    }

    public void Apply(LayerTarEntry entry, TarArchiveReader reader)
    {
        string path = LayerPath.Clean(entry.Name, entry.Name);
        if (path.Length == 0)
        {
            ApplyRoot(entry);
            return;
        }
        if (_privileged && TryApplyOverlayWhiteout(path, entry)) return;
        _tree.EnsureParents(path, entry.Name);
        switch (entry.Type)
        {
            case TarEntryType.Directory: CreateDirectory(path, entry); break;
            case TarEntryType.RegularFile: CreateRegularFile(path, entry, reader); break;
            case TarEntryType.SymbolicLink: CreateSymbolicLink(path, entry); break;
            case TarEntryType.HardLink: CreateHardLink(path, entry); break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice: CreateDevice(path, entry); break;
            case TarEntryType.Fifo: CreateNode(path, entry, Libc.S_IFIFO, 0, 0); break;
            default: throw new InvalidDataException($"layer entry '{entry.Name}' has unsupported type {entry.Type}");
        }
    }

    /// <summary>Applies the deferred directory modes and times (and the root's mode when the layer did not set it).</summary>
    public void Finish()
    {
        if (!_directories.ContainsKey("")) File.SetUnixFileMode(_tree.Root, (UnixFileMode)0x1ED);
        foreach (var (path, (mode, seconds, nanoseconds)) in _directories)
        {
            string full = _tree.FullPath(path);
            // Replaced directories were dropped from the list; check anyway before a call that follows links.
            if (Libc.TryStatNoFollow(full) is not { IsDirectory: true })
                throw new InvalidOperationException($"'{path}' is no longer a directory at the end of extraction");
            File.SetUnixFileMode(full, (UnixFileMode)mode);
            Libc.SetTimesNoFollow(full, seconds, nanoseconds);
        }
    }

    public void Dispose()
    {
        if (_copyBuffer is null) return;
        ArrayPool<byte>.Shared.Return(_copyBuffer);
        _copyBuffer = null;
    }

    private void ApplyRoot(LayerTarEntry entry)
    {
        if (entry.Type != TarEntryType.Directory)
            throw new InvalidDataException($"layer entry '{entry.Name}' names the layer root but is not a directory");
        SetOwner(_tree.Root, entry);
        SetXattrs(_tree.Root, entry);
        _directories[""] = (entry.Mode, entry.ModificationTimeSeconds, entry.ModificationTimeNanoseconds);
    }

    /// <summary>
    /// Overlay format: <c>.wh.NAME</c> becomes a 0:0 character device NAME and <c>.wh..wh..opq</c> the opaque
    /// xattr on its directory. A whiteout for a name this layer itself provides is dropped: whiteouts only hide
    /// lower layers' content (OCI image spec), and overlayfs hides it anyway when the name exists in the upper dir.
    /// </summary>
    private bool TryApplyOverlayWhiteout(string path, LayerTarEntry entry)
    {
        string parent = LayerPath.Parent(path);
        if (parent.StartsWith(Whiteouts.Prefix, StringComparison.Ordinal) || parent.Contains("/" + Whiteouts.Prefix, StringComparison.Ordinal))
            throw new InvalidDataException($"layer entry '{entry.Name}' uses a whiteout name as a directory");
        string baseName = LayerPath.BaseName(path);
        if (baseName == Whiteouts.OpaqueMarker)
        {
            _tree.EnsureParents(path, entry.Name);
            ContainedTree.MarkOpaque(_tree.FullPath(parent));
            return true;
        }
        if (!Whiteouts.IsWhiteoutName(baseName, out string deleted)) return false;
        if (deleted is "" or "." or "..")
            throw new InvalidDataException($"layer entry '{entry.Name}' is a whiteout without a valid name");
        _tree.EnsureParents(path, entry.Name);
        string full = _tree.FullPath(parent.Length == 0 ? deleted : parent + "/" + deleted);
        if (Libc.TryStatNoFollow(full) is not null) return true;
        Libc.CreateNode(full, Libc.S_IFCHR, 0, 0);
        Libc.SetTimesNoFollow(full, entry.ModificationTimeSeconds, entry.ModificationTimeNanoseconds);
        return true;
    }

    private void CreateDirectory(string path, LayerTarEntry entry)
    {
        string full = _tree.FullPath(path);
        if (Libc.mkdir(full, TemporaryDirectoryMode) != 0)
        {
            int errno = Libc.LastErrno;
            if (errno != Errno.EEXIST) throw Libc.Error(errno, "mkdir", full);
            var existing = Libc.StatNoFollow(full);
            if (!existing.IsDirectory)
            {
                bool replacesWhiteout = _privileged && existing.IsOverlayWhiteout;
                RemoveExisting(path, existing);
                Libc.ThrowIfFailed(Libc.mkdir(full, TemporaryDirectoryMode), "mkdir", full);
                if (replacesWhiteout) ContainedTree.MarkOpaque(full);
            }
        }
        _tree.MarkDirectory(path);
        SetOwner(full, entry);
        SetXattrs(full, entry);
        _directories[path] = (entry.Mode, entry.ModificationTimeSeconds, entry.ModificationTimeNanoseconds);
    }

    private void CreateRegularFile(string path, LayerTarEntry entry, TarArchiveReader reader)
    {
        string full = _tree.FullPath(path);
        int errno = Libc.TryCreateExclusive(full, TemporaryFileMode, out var file);
        if (errno == Errno.EEXIST)
        {
            RemoveExisting(path, Libc.StatNoFollow(full));
            errno = Libc.TryCreateExclusive(full, TemporaryFileMode, out file);
        }
        if (errno != 0) throw Libc.Error(errno, "open(O_CREAT|O_EXCL)", full);
        using (file!)
        {
            var buffer = _copyBuffer!;
            long offset = 0;
            int n;
            while ((n = reader.ReadData(buffer)) > 0)
            {
                RandomAccess.Write(file!, buffer.AsSpan(0, n), offset);
                offset += n;
            }
            if (_privileged) Libc.ChangeOwner(file!, entry.Uid, entry.Gid, full);
            Libc.ChangeMode(file!, entry.Mode, full); // after chown, which clears setuid/setgid
            SetXattrs(file!, full, entry);           // after chown, which clears security.capability
            Libc.SetTimes(file!, entry.ModificationTimeSeconds, entry.ModificationTimeNanoseconds, full);
        }
    }

    private void CreateSymbolicLink(string path, LayerTarEntry entry)
    {
        if (entry.LinkName.Length == 0) throw new InvalidDataException($"symlink '{entry.Name}' has an empty target");
        string full = _tree.FullPath(path);
        if (Libc.symlink(entry.LinkName, full) != 0)
        {
            int errno = Libc.LastErrno;
            if (errno != Errno.EEXIST) throw Libc.Error(errno, "symlink", full);
            RemoveExisting(path, Libc.StatNoFollow(full));
            Libc.ThrowIfFailed(Libc.symlink(entry.LinkName, full), "symlink", full);
        }
        SetOwner(full, entry);
        SetXattrs(full, entry);
        Libc.SetTimesNoFollow(full, entry.ModificationTimeSeconds, entry.ModificationTimeNanoseconds);
    }

    /// <summary>A hardlink's target must be an earlier non-directory entry of this layer, reached without symlinks.</summary>
    private void CreateHardLink(string path, LayerTarEntry entry)
    {
        string target = LayerPath.Clean(entry.LinkName, entry.Name);
        FileStatus? targetStatus = target.Length == 0 || !_tree.ParentsExist(target, entry.Name)
            ? null
            : Libc.TryStatNoFollow(_tree.FullPath(target));
        if (targetStatus is null)
            throw new InvalidDataException($"hardlink '{entry.Name}' points to '{entry.LinkName}', which is not an earlier entry of this layer (or is reached through a symlink)");
        if (targetStatus.Value.IsDirectory)
            throw new InvalidDataException($"hardlink '{entry.Name}' points to the directory '{entry.LinkName}'");
        if (target == path) return;

        string full = _tree.FullPath(path), targetFull = _tree.FullPath(target);
        if (Libc.link(targetFull, full) != 0)
        {
            int errno = Libc.LastErrno;
            if (errno != Errno.EEXIST) throw Libc.Error(errno, "link", full);
            var existing = Libc.StatNoFollow(full);
            if (existing.Inode == targetStatus.Value.Inode) return;
            RemoveExisting(path, existing);
            Libc.CreateHardLink(targetFull, full);
        }
    }

    private void CreateDevice(string path, LayerTarEntry entry)
    {
        if (!_allowDevices)
            throw new InvalidDataException($"layer contains the device node '{entry.Name}'; device nodes are refused unless LayerExtractOptions.AllowDevices is set");
        if (!_privileged)
            throw new NotSupportedException($"layer contains the device node '{entry.Name}', which only root can create");
        uint type = entry.Type == TarEntryType.BlockDevice ? Libc.S_IFBLK : Libc.S_IFCHR;
        CreateNode(path, entry, type, (uint)entry.DeviceMajor, (uint)entry.DeviceMinor);
    }

    private void CreateNode(string path, LayerTarEntry entry, uint type, uint major, uint minor)
    {
        string full = _tree.FullPath(path);
        ulong device = DeviceNumbers.Make(major, minor);
        if (Libc.mknod(full, type, device) != 0)
        {
            int errno = Libc.LastErrno;
            if (errno != Errno.EEXIST) throw Libc.Error(errno, "mknod", full);
            RemoveExisting(path, Libc.StatNoFollow(full));
            Libc.ThrowIfFailed(Libc.mknod(full, type, device), "mknod", full);
        }
        SetOwner(full, entry);
        File.SetUnixFileMode(full, (UnixFileMode)entry.Mode); // chmod does not open the node; we just created it
        SetXattrs(full, entry);
        Libc.SetTimesNoFollow(full, entry.ModificationTimeSeconds, entry.ModificationTimeNanoseconds);
    }

    /// <summary>Unlinks (or deletes recursively) what an earlier entry left at a path, and forgets its deferred metadata.</summary>
    private void RemoveExisting(string path, FileStatus existing)
    {
        if (existing.IsDirectory)
        {
            string below = path + "/";
            foreach (var key in _directories.Keys.Where(k => k == path || k.StartsWith(below, StringComparison.Ordinal)).ToList())
                _directories.Remove(key);
        }
        _tree.Remove(path, existing);
    }

    private void SetOwner(string full, LayerTarEntry entry)
    {
        if (_privileged) Libc.ChangeOwnerNoFollow(full, entry.Uid, entry.Gid);
    }

    private void SetXattrs(string full, LayerTarEntry entry)
    {
        foreach (var xattr in entry.Xattrs)
            if (ShouldApply(xattr)) Check(Libc.TrySetXattr(full, xattr.Name, xattr.Value), xattr, full);
    }

    private void SetXattrs(SafeFileHandle file, string full, LayerTarEntry entry)
    {
        foreach (var xattr in entry.Xattrs)
            if (ShouldApply(xattr)) Check(Libc.TrySetXattr(file, xattr.Name, xattr.Value), xattr, full);
    }

    /// <summary>
    /// overlayfs' own attributes are never taken from a layer (a planted redirect or metacopy would change what
    /// the overlay shows); opaqueness comes only from <c>.wh..wh..opq</c>. security.selinux is host policy.
    /// Unprivileged extraction sets only user.* attributes, the only ones it may set.
    /// </summary>
    private bool ShouldApply(TarXattr xattr)
    {
        var name = xattr.Name.AsSpan();
        if (name.StartsWith(Whiteouts.TrustedOverlayPrefix) || name.StartsWith(Whiteouts.UserOverlayPrefix) ||
            name.SequenceEqual("security.selinux"u8))
            return false;
        return _privileged || name.StartsWith("user."u8);
    }

    private void Check(int errno, TarXattr xattr, string full)
    {
        if (errno == 0) return;
        if (!_privileged && errno is Errno.EPERM or Errno.EOPNOTSUPP) return;
        throw Libc.Error(errno, $"lsetxattr({System.Text.Encoding.UTF8.GetString(xattr.Name)})", full);
    }
}
