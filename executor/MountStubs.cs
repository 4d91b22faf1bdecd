using Csbuild.Executor.Native;
using Csbuild.Oci.Native;

namespace Csbuild.Executor;

/// <summary>
/// Keeps the runtime's mount points out of the step's layer. When the image lacks /etc/hosts, /proc, …
/// the runtime creates an empty file or directory to mount over, and overlayfs records it (and a copy-up of
/// its parent directory) in the upper dir. This records what is missing before the step and removes
/// exactly those stubs afterwards, if they are still empty, like BuildKit's mount-stub cleaner.
/// </summary>
internal sealed class MountStubs
{
    private readonly string rootfs;
    /// <summary>Host paths (under the merged rootfs) that did not exist, deepest first.</summary>
    private readonly List<string> missing;
    /// <summary>Existing directories (rootfs-relative) that get a stub child, with their metadata before the step.</summary>
    private readonly List<(string RelativePath, FileStatus Status)> parents;

    private MountStubs(string rootfs, List<string> missing, List<(string, FileStatus)> parents)
    {
        this.rootfs = rootfs;
        this.missing = missing;
        this.parents = parents;
    }

    public static MountStubs Record(string rootfs, IEnumerable<string> destinations)
    {
        rootfs = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootfs));
        var missing = new HashSet<string>(StringComparer.Ordinal);
        var parents = new Dictionary<string, FileStatus>(StringComparer.Ordinal);
        foreach (var destination in destinations)
        {
            var path = RootfsPath.Resolve(rootfs, destination);
            var status = Libc.TryStatNoFollow(path);
            if (status is not null) continue;
            while (path.Length > rootfs.Length && (status = Libc.TryStatNoFollow(path)) is null)
            {
                missing.Add(path);
                path = Path.GetDirectoryName(path)!;
            }
            // The first existing ancestor and everything above it get copied up when the stub is created.
            while (path.Length > rootfs.Length && status is { } existing)
            {
                parents.TryAdd(path[(rootfs.Length + 1)..], existing);
                path = Path.GetDirectoryName(path)!;
                status = Libc.TryStatNoFollow(path);
            }
        }
        return new MountStubs(rootfs,
            missing.OrderByDescending(p => p.Length).ToList(),
            parents.Select(p => (p.Key, p.Value)).OrderByDescending(p => p.Key.Length).ToList());
    }

    /// <summary>Removes the stubs through the still-mounted rootfs (so overlayfs keeps its bookkeeping right).</summary>
    public void RemoveStubs()
    {
        foreach (var path in missing)
        {
            var status = Libc.TryStatNoFollow(path);
            if (status is not { } stub) continue;
            if (stub.IsDirectory)
            {
                if (!Directory.EnumerateFileSystemEntries(path).Any()) Directory.Delete(path);
            }
            else if (stub.IsRegularFile && stub.Size == 0)
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>
    /// After unmounting: drops parent directories from the upper dir that were only copied up to hold a stub,
    /// i.e. are now empty, not opaque, and have the owner and mode they had in the image.
    /// </summary>
    public void RemoveCopiedUpParents(string upperDir)
    {
        foreach (var (relativePath, before) in parents)
        {
            var path = Path.Combine(upperDir, relativePath);
            if (Libc.TryStatNoFollow(path) is not { IsDirectory: true } after) continue;
            if (after.Uid != before.Uid || after.Gid != before.Gid || after.Mode != before.Mode) continue;
            if (Libc.GetXattr(path, "trusted.overlay.opaque") is not null) continue;
            if (Directory.EnumerateFileSystemEntries(path).Any()) continue;
            Directory.Delete(path);
        }
    }

    public override string ToString() => $"{missing.Count} stub(s) under {rootfs}";
}
