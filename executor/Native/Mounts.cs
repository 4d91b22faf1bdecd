using Csbuild.Oci.Native;

namespace Csbuild.Executor.Native;

/// <summary>How the executor takes its mounts down (the syscalls themselves are oci's <see cref="Libc"/> bindings).</summary>
internal static class Mounts
{
    /// <summary>
    /// Unmounts <paramref name="target"/>; when something still holds it busy, detaches it lazily instead
    /// so the build can go on (the kernel finishes the unmount when the last user goes away).
    /// Returns false when nothing was mounted there.
    /// </summary>
    public static bool Unmount(string target)
    {
        if (Libc.umount2(target, 0) == 0) return true;
        var errno = Libc.LastErrno;
        if (errno is Errno.EINVAL or Errno.ENOENT) return false;
        if (errno == Errno.EBUSY && Libc.umount2(target, Libc.MntDetach) == 0) return true;
        throw Libc.LastError("umount2", target);
    }
}
