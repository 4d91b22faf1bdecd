using System.Runtime.InteropServices;

namespace Csbuild.Executor.Native;

/// <summary>File and identity syscalls the BCL does not offer (owner changes, xattrs, O_PATH descriptors).</summary>
internal static partial class Posix
{
    private const int O_PATH = 0x200000;
    private const int O_DIRECTORY = 0x10000;
    private const int O_CLOEXEC = 0x80000;
    private const int ENODATA = 61;
    private const int EOPNOTSUPP = 95;
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_BASIC_STATS = 0x7ff;

    public static bool IsRoot => geteuid() == 0;

    /// <summary>Changes the owner of a path without following a final symlink.</summary>
    public static void LChown(string path, uint uid, uint gid)
    {
        if (lchown(path, uid, gid) != 0) throw LastError("lchown " + path);
    }

    /// <summary>Opens a directory as an O_PATH descriptor (no read access needed), close-on-exec.</summary>
    public static int OpenDirectoryPath(string path)
    {
        var fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) throw LastError("open " + path);
        return fd;
    }

    public static void Close(int fd) => close(fd);

    /// <summary>Reads an extended attribute of a path (not following symlinks); null when it is absent.</summary>
    public static unsafe string? GetXattr(string path, string name)
    {
        Span<byte> buffer = stackalloc byte[256];
        nint length;
        fixed (byte* p = buffer) length = lgetxattr(path, name, p, buffer.Length);
        if (length < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ENODATA || errno == EOPNOTSUPP) return null;
            throw new IOException($"lgetxattr {path} {name}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return System.Text.Encoding.UTF8.GetString(buffer[..(int)length]);
    }

    /// <summary>
    /// lstat through statx, whose struct layout is the same on every architecture (unlike struct stat).
    /// Returns null when the path does not exist.
    /// </summary>
    public static unsafe FileStatus? LStat(string path)
    {
        byte* buffer = stackalloc byte[256];
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == 2 || errno == 20) return null; // ENOENT, ENOTDIR
            throw new IOException($"statx {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
        return new FileStatus(
            Uid: *(uint*)(buffer + 20),
            Gid: *(uint*)(buffer + 24),
            Mode: *(ushort*)(buffer + 28),
            Size: *(long*)(buffer + 40),
            RdevMajor: *(uint*)(buffer + 128),
            RdevMinor: *(uint*)(buffer + 132));
    }

    /// <summary>The hard limit of a resource (RLIMIT_*) for this process.</summary>
    public static unsafe ulong GetHardLimit(int resource)
    {
        ulong* limits = stackalloc ulong[2]; // struct rlimit { rlim_t cur, max } with 64-bit rlim_t
        if (getrlimit(resource, limits) != 0) throw LastError("getrlimit");
        return limits[1];
    }

    private static IOException LastError(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int lchown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static unsafe partial int getrlimit(int resource, ulong* limits);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "lgetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial nint lgetxattr(string path, string name, byte* value, nint size);
}

/// <summary>The parts of a file's inode the executor looks at. Mode includes the file type bits (S_IFMT).</summary>
internal readonly record struct FileStatus(uint Uid, uint Gid, ushort Mode, long Size, uint RdevMajor, uint RdevMinor)
{
    private const int S_IFMT = 0xF000;
    public bool IsDirectory => (Mode & S_IFMT) == 0x4000;
    public bool IsRegularFile => (Mode & S_IFMT) == 0x8000;
    public bool IsSymlink => (Mode & S_IFMT) == 0xA000;
    public bool IsCharacterDevice => (Mode & S_IFMT) == 0x2000;
    /// <summary>An overlayfs whiteout: a character device with device number 0:0.</summary>
    public bool IsWhiteout => IsCharacterDevice && RdevMajor == 0 && RdevMinor == 0;
    public int Permissions => Mode & 0xFFF;
}
