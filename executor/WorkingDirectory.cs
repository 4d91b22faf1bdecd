using Csbuild.Executor.Native;
using Csbuild.Oci.Native;

namespace Csbuild.Executor;

/// <summary>
/// Creates a step's working directory in its rootfs when the image lacks it, owned by the step's user,
/// as BuildKit does (so that `USER app` + `WORKDIR /work` gives app a writable /work).
/// </summary>
internal static class WorkingDirectory
{
    public static void Ensure(string rootfs, string workingDir, ResolvedUser user)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException();
        if (!workingDir.StartsWith('/'))
            throw new ExecutorException($"the working directory must be an absolute path: {workingDir}");

        var target = RootfsPath.Resolve(rootfs, workingDir);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootfs));
        // /proc is mounted over the image: a working directory like /proc/self/fd/N would start the step
        // outside its rootfs through a descriptor the runtime leaks (CVE-2024-21626).
        if (MountTargets.IsInKernelFilesystem(root, target))
            throw new ExecutorException($"the working directory {workingDir} is inside /proc or /sys, which the runtime mounts over");
        var toCreate = new Stack<string>();
        for (var path = target; path.Length > root.Length; path = Path.GetDirectoryName(path)!)
        {
            var status = Libc.TryStatNoFollow(path);
            if (status is { IsDirectory: true }) break;
            if (status is not null)
                throw new ExecutorException($"the working directory {workingDir} is not a directory in the image");
            toCreate.Push(path);
        }
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                  UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
                                  UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        while (toCreate.TryPop(out var path))
        {
            Directory.CreateDirectory(path, mode);
            Libc.ChangeOwnerNoFollow(path, (int)user.Uid, (int)user.Gid);
        }
    }
}
