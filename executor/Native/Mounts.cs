using System.Runtime.InteropServices;

namespace Csbuild.Executor.Native;

/// <summary>
/// The few mount syscalls the executor needs, bound with source-generated P/Invoke.
/// Errors surface as <see cref="IOException"/> with the errno text, so callers see why a mount failed.
/// </summary>
internal static partial class Mounts
{
    public const ulong MS_RDONLY = 1;
    public const ulong MS_NOSUID = 2;
    public const ulong MS_NODEV = 4;
    private const int MNT_DETACH = 2;
    private const int EBUSY = 16;
    private const int EINVAL = 22;
    private const int ENOENT = 2;

    public static void Mount(string source, string target, string fsType, ulong flags, string? data)
    {
        if (mount(source, target, fsType, flags, data) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"mount {fsType} on {target}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    /// <summary>
    /// Unmounts <paramref name="target"/>; when something still holds it busy, detaches it lazily instead
    /// so the build can go on (the kernel finishes the unmount when the last user goes away).
    /// Returns false when nothing was mounted there.
    /// </summary>
    public static bool Unmount(string target)
    {
        if (umount2(target, 0) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == EINVAL || errno == ENOENT) return false;
        if (errno == EBUSY && umount2(target, MNT_DETACH) == 0) return true;
        errno = Marshal.GetLastPInvokeError();
        throw new IOException($"umount {target}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    [LibraryImport("libc", EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mount(string source, string target, string fsType, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int umount2(string target, int flags);
}
