using System.Runtime.InteropServices;
using Csbuild.Oci.Native;

namespace Csbuild.Executor.Native;

/// <summary>
/// The few calls the executor needs beyond oci's <see cref="Libc"/> bindings (which it uses for everything else):
/// O_PATH directory descriptors, close, getrlimit and statfs.
/// </summary>
internal static unsafe partial class Posix
{
    private const int O_PATH = 0x200000;
    /// <summary>O_DIRECTORY is one of the open flags whose value differs between architectures.</summary>
    private static readonly int O_DIRECTORY = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;

    /// <summary>overlayfs' superblock magic (OVERLAYFS_SUPER_MAGIC in linux/magic.h).</summary>
    private const long OverlayfsMagic = 0x794c7630;

    /// <summary>Opens a directory as an O_PATH descriptor (no read access needed), close-on-exec.</summary>
    public static int OpenDirectoryPath(string path)
    {
        var fd = Libc.open(path, O_PATH | O_DIRECTORY | Libc.OCloexec, 0);
        if (fd < 0) throw Libc.LastError("open", path);
        return fd;
    }

    public static void Close(int fd) => close(fd);

    /// <summary>The hard limit of a resource (RLIMIT_*) for this process.</summary>
    public static ulong GetHardLimit(int resource)
    {
        ulong* limits = stackalloc ulong[2]; // struct rlimit { rlim_t cur, max } with 64-bit rlim_t
        if (getrlimit(resource, limits) != 0) throw Libc.LastError("getrlimit", resource.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return limits[1];
    }

    /// <summary>Whether <paramref name="path"/> lives on an overlayfs mount.</summary>
    public static bool IsOnOverlayfs(string path)
    {
        // struct statfs starts with f_type (a long on 64-bit Linux); 128 bytes hold the whole struct.
        long* buffer = stackalloc long[16];
        if (statfs(path, buffer) != 0) throw Libc.LastError("statfs", path);
        return buffer[0] == OverlayfsMagic;
    }

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int getrlimit(int resource, ulong* limits);

    [LibraryImport("libc", EntryPoint = "statfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statfs(string path, long* buffer);
}
