using Csbuild.Oci.Native;

namespace Csbuild.Oci.Layers;

/// <summary>
/// Guards every write of an extraction into its private root: a path's parents must be real directories
/// created inside the root, checked component by component with lstat. A symlink (or file) that the layer
/// planted is never traversed, so no entry can be written through it to somewhere else. Verified directories
/// are remembered, so an entry in a known directory costs one dictionary lookup. The root is a fresh 0700
/// directory only this extraction writes to, so nothing can swap a component between check and use.
/// </summary>
internal sealed class ContainedTree(string root, bool overlayWhiteouts)
{
    private readonly HashSet<string> _verifiedDirectories = new(StringComparer.Ordinal) { "" };

    public string Root { get; } = root;

    public string FullPath(string relativePath) => relativePath.Length == 0 ? Root : Root + "/" + relativePath;

    /// <summary>Makes sure all parents of <paramref name="relativePath"/> are directories, creating missing ones (0755, root).</summary>
    public void EnsureParents(string relativePath, string entryName) => WalkParents(relativePath, entryName, create: true);

    /// <summary>Checks that all parents of <paramref name="relativePath"/> exist as real directories; false if one is missing.</summary>
    public bool ParentsExist(string relativePath, string entryName) => WalkParents(relativePath, entryName, create: false);

    /// <summary>Records a directory the extraction created (or confirmed) at this path.</summary>
    public void MarkDirectory(string relativePath) => _verifiedDirectories.Add(relativePath);

    /// <summary>
    /// Removes whatever is at a path so another entry can take its place (duplicate entries: the last wins).
    /// Removing a directory forgets every verified directory, since some were below it.
    /// </summary>
    public void Remove(string relativePath, FileStatus existing)
    {
        string full = FullPath(relativePath);
        if (existing.IsDirectory)
        {
            Directory.Delete(full, recursive: true); // .NET removes symlinks inside, never follows them
            _verifiedDirectories.Clear();
            _verifiedDirectories.Add("");
        }
        else File.Delete(full);
    }

    private bool WalkParents(string relativePath, string entryName, bool create)
    {
        int lastSlash = relativePath.LastIndexOf('/');
        if (lastSlash < 0 || _verifiedDirectories.Contains(relativePath[..lastSlash])) return true;
        int slash = relativePath.IndexOf('/');
        while (slash >= 0 && slash <= lastSlash)
        {
            string prefix = relativePath[..slash];
            if (!_verifiedDirectories.Contains(prefix))
            {
                if (!VerifyDirectory(prefix, entryName, create)) return false;
                _verifiedDirectories.Add(prefix);
            }
            slash = relativePath.IndexOf('/', slash + 1);
        }
        return true;
    }

    private bool VerifyDirectory(string prefix, string entryName, bool create)
    {
        string full = FullPath(prefix);
        var status = Libc.TryStatNoFollow(full);
        if (status is { IsDirectory: true }) return true;
        if (!create) return false;
        if (status is null)
        {
            MakeDirectory(full, 0x1ED); // 0755: an implicit parent, as tar and containerd create them
            return true;
        }
        if (overlayWhiteouts && status.Value.IsOverlayWhiteout)
        {
            // The layer deletes this name and then puts content under it: a new directory replacing the
            // lower one, which overlayfs expresses as an opaque directory.
            File.Delete(full);
            MakeDirectory(full, 0x1ED);
            MarkOpaque(full);
            return true;
        }
        string kind = status.Value.IsSymbolicLink ? "a symlink" : "not a directory";
        throw new InvalidDataException(
            $"layer entry '{entryName}' would be written through '{prefix}', which is {kind} in this layer; refusing to follow it");
    }

    /// <summary>mkdir with an exact mode (chmod afterwards, since mkdir's mode is masked by the umask).</summary>
    public static void MakeDirectory(string fullPath, int mode)
    {
        Libc.ThrowIfFailed(Libc.mkdir(fullPath, (uint)mode), "mkdir", fullPath);
        File.SetUnixFileMode(fullPath, (UnixFileMode)mode);
    }

    public static void MarkOpaque(string fullDirectoryPath) =>
        Libc.SetXattr(fullDirectoryPath, Whiteouts.OverlayOpaqueXattrBytes, "y"u8);
}
