using Csbuild.Executor.Native;
using Csbuild.Oci.Native;

namespace Csbuild.Executor;

/// <summary>
/// Checks and creates the mount points of a step's extra mounts inside its rootfs. Paths are resolved as the
/// container would see them but never leave the rootfs (<see cref="RootfsPath"/>), so an image symlink like
/// /cache -> /../../host cannot make the mount point, or the mount, land on the host. Targets in the kernel
/// filesystems the runtime mounts (/proc, /sys) are refused: mounting over /proc/self/fd/N or working there
/// is how runc's descriptor leaks (CVE-2024-21626) are reached.
/// </summary>
internal static class MountTargets
{
    private static readonly string[] KernelFilesystems = ["proc", "sys"];

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                               UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
                                               UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Refuses destinations that are not plain absolute paths (the frontend cleans them; this is the last line).</summary>
    public static void Validate(IReadOnlyList<ContainerMount> mounts)
    {
        foreach (var mount in mounts)
        {
            var destination = mount.Destination;
            if (!destination.StartsWith('/'))
                throw new ExecutorException($"mount target must be an absolute path: {destination}");
            var components = destination.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (components.Length == 0)
                throw new ExecutorException("a mount cannot replace the root directory");
            if (components.Any(c => c is ".." or "."))
                throw new ExecutorException($"mount target must not contain '.' or '..' components: {destination}");
            if (mount.Type is not ("bind" or "tmpfs"))
                throw new ExecutorException($"unsupported mount type \"{mount.Type}\" for {destination}");
        }
    }

    /// <summary>
    /// Creates each missing mount point (directories 0755 root:root; an empty file for a bind of a file or socket).
    /// Call after <see cref="MountStubs.Record"/> so the stubs are removed again after the step.
    /// </summary>
    public static void Create(string rootfs, IReadOnlyList<ContainerMount> mounts)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootfs));
        foreach (var mount in mounts)
        {
            var target = RootfsPath.Resolve(root, mount.Destination);
            if (IsInKernelFilesystem(root, target))
                throw new ExecutorException($"mount target {mount.Destination} is inside /proc or /sys, which the runtime mounts over");
            var wantsFile = mount.IsBind && Libc.TryStatNoFollow(mount.Source) is { IsDirectory: false };

            var toCreate = new Stack<string>();
            for (var path = target; path.Length > root.Length; path = Path.GetDirectoryName(path)!)
            {
                var status = Libc.TryStatNoFollow(path);
                if (status is { IsDirectory: true }) break;
                // The target itself may be a file (for a file bind); any existing parent must be a directory.
                if (status is not null)
                {
                    if (path == target) break;
                    throw new ExecutorException($"cannot create mount target {mount.Destination}: a parent is not a directory in the image");
                }
                toCreate.Push(path);
            }
            while (toCreate.TryPop(out var path))
            {
                if (path == target && wantsFile) File.Create(path).Dispose();
                else Directory.CreateDirectory(path, DirectoryMode);
            }
        }
    }

    /// <summary>Whether a resolved host path (inside <paramref name="root"/>) lies in /proc or /sys of the container.</summary>
    public static bool IsInKernelFilesystem(string root, string resolved)
    {
        root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (resolved.Length <= root.Length) return false;
        var relative = resolved[(root.Length + 1)..];
        var first = relative.Split('/', 2)[0];
        return KernelFilesystems.Contains(first, StringComparer.Ordinal);
    }
}
