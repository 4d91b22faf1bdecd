using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Csbuild.Oci.Native;

/// <summary>Wrappers over the raw imports that turn -1/errno into <see cref="NativeIOException"/> with strerror text.</summary>
public static unsafe partial class Libc
{
    /// <summary>errno of the last import declared with SetLastError (read it right after the call).</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>strerror text for an errno value.</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public static NativeIOException Error(int errno, string operation, string path) =>
        new(errno, $"{operation} '{path}' failed: {Describe(errno)} (errno {errno})");

    /// <summary>Builds the exception for the errno left by the call just made.</summary>
    public static NativeIOException LastError(string operation, string path) => Error(LastErrno, operation, path);

    /// <summary>Throws when a libc call returned a negative value.</summary>
    public static void ThrowIfFailed(long result, string operation, string path)
    {
        if (result < 0) throw LastError(operation, path);
    }

    /// <summary>lstat via statx; null when the path (or one of its parents) does not exist.</summary>
    public static FileStatus? TryStatNoFollow(string path)
    {
        StatxBuffer buffer;
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBuffer.BasicStats, &buffer) == 0)
            return FileStatus.From(buffer);
        int errno = LastErrno;
        if (errno is Errno.ENOENT or Errno.ENOTDIR) return null;
        throw Error(errno, "statx", path);
    }

    public static FileStatus StatNoFollow(string path) =>
        TryStatNoFollow(path) ?? throw Error(Errno.ENOENT, "statx", path);

    /// <summary>mknod with a full mode (file type bits included) and a major:minor device number.</summary>
    public static void CreateNode(string path, uint mode, uint major, uint minor) =>
        ThrowIfFailed(mknod(path, mode, DeviceNumbers.Make(major, minor)), "mknod", path);

    public static void ChangeOwnerNoFollow(string path, int uid, int gid) =>
        ThrowIfFailed(lchown(path, (uint)uid, (uint)gid), "lchown", path);

    /// <summary>Sets atime and mtime (both to the given instant) without following a final symlink.</summary>
    public static void SetTimesNoFollow(string path, long seconds, long nanoseconds = 0)
    {
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Seconds = seconds, Nanoseconds = nanoseconds };
        times[1] = times[0];
        ThrowIfFailed(utimensat(AtFdCwd, path, times, AtSymlinkNoFollow), "utimensat", path);
    }

    /// <summary>
    /// Creates a new file with O_CREAT|O_EXCL (which also refuses to follow a symlink at the final component).
    /// Returns 0 and the open handle, or the errno (EEXIST when something is already there).
    /// </summary>
    public static int TryCreateExclusive(string path, uint mode, out SafeFileHandle? handle)
    {
        int fd = open(path, OWronly | OCreat | OExcl | OCloexec, mode);
        if (fd < 0)
        {
            handle = null;
            return LastErrno;
        }
        handle = new SafeFileHandle(fd, ownsHandle: true);
        return 0;
    }

    public static void ChangeOwner(SafeFileHandle file, int uid, int gid, string pathForErrors) =>
        ThrowIfFailed(fchown((int)file.DangerousGetHandle(), (uint)uid, (uint)gid), "fchown", pathForErrors);

    /// <summary>fchmod with permission bits including setuid/setgid/sticky (not masked by the umask).</summary>
    public static void ChangeMode(SafeFileHandle file, int mode, string pathForErrors) =>
        ThrowIfFailed(fchmod((int)file.DangerousGetHandle(), (uint)mode & 0xFFF), "fchmod", pathForErrors);

    public static void SetTimes(SafeFileHandle file, long seconds, long nanoseconds, string pathForErrors)
    {
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Seconds = seconds, Nanoseconds = nanoseconds };
        times[1] = times[0];
        ThrowIfFailed(futimens((int)file.DangerousGetHandle(), times), "futimens", pathForErrors);
    }

    /// <summary>fsetxattr that reports errno instead of throwing (0 on success).</summary>
    public static int TrySetXattr(SafeFileHandle file, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Span<byte> terminated = name.Length < 256 ? stackalloc byte[name.Length + 1] : new byte[name.Length + 1];
        name.CopyTo(terminated);
        terminated[^1] = 0;
        fixed (byte* namePtr = terminated)
        fixed (byte* valuePtr = value)
        {
            return fsetxattr((int)file.DangerousGetHandle(), namePtr, valuePtr, (nuint)value.Length, 0) == 0 ? 0 : LastErrno;
        }
    }

    public static void CreateHardLink(string existingPath, string newPath) =>
        ThrowIfFailed(link(existingPath, newPath), "link", newPath + "' -> '" + existingPath);

    public static void Rename(string oldPath, string newPath) =>
        ThrowIfFailed(rename(oldPath, newPath), "rename", oldPath + "' -> '" + newPath);

    public static void Mount(string? source, string target, string? fileSystemType, ulong flags, string? data) =>
        ThrowIfFailed(mount(source, target, fileSystemType, flags, data), "mount", target);

    public static void Unmount(string target, int flags = 0) =>
        ThrowIfFailed(umount2(target, flags), "umount2", target);

    /// <summary>lsetxattr with a raw (not NUL-terminated) name and a binary value.</summary>
    public static void SetXattr(string path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        int errno = TrySetXattr(path, name, value);
        if (errno != 0) throw Error(errno, $"lsetxattr({Encoding.UTF8.GetString(name)})", path);
    }

    public static void SetXattr(string path, string name, ReadOnlySpan<byte> value) =>
        SetXattr(path, Encoding.UTF8.GetBytes(name), value);

    /// <summary>lsetxattr that reports errno instead of throwing (0 on success), for callers that tolerate EPERM/ENOTSUP.</summary>
    public static int TrySetXattr(string path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Span<byte> terminated = name.Length < 256 ? stackalloc byte[name.Length + 1] : new byte[name.Length + 1];
        name.CopyTo(terminated);
        terminated[^1] = 0;
        fixed (byte* namePtr = terminated)
        fixed (byte* valuePtr = value)
        {
            return lsetxattr(path, namePtr, valuePtr, (nuint)value.Length, 0) == 0 ? 0 : LastErrno;
        }
    }

    /// <summary>
    /// llistxattr into <paramref name="buffer"/> (give it <see cref="XattrListMax"/> bytes): returns the byte
    /// length of the NUL-separated name list, 0 when there are none or the file system has no xattr support.
    /// </summary>
    public static int ListXattrs(string path, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint length = llistxattr(path, p, (nuint)buffer.Length);
            if (length >= 0) return (int)length;
            int errno = LastErrno;
            if (errno == Errno.EOPNOTSUPP) return 0;
            throw Error(errno, "llistxattr", path);
        }
    }

    /// <summary>
    /// lgetxattr of a NUL-terminated name into <paramref name="value"/> (give it <see cref="XattrSizeMax"/> bytes):
    /// returns the value length, or -1 when the attribute does not exist.
    /// </summary>
    public static int GetXattr(string path, ReadOnlySpan<byte> nulTerminatedName, Span<byte> value)
    {
        if (nulTerminatedName.IsEmpty || nulTerminatedName[^1] != 0)
            throw new ArgumentException("xattr name must be NUL-terminated", nameof(nulTerminatedName));
        fixed (byte* n = nulTerminatedName)
        fixed (byte* v = value)
        {
            nint length = lgetxattr(path, n, v, (nuint)value.Length);
            if (length >= 0) return (int)length;
            int errno = LastErrno;
            if (errno is Errno.ENODATA or Errno.EOPNOTSUPP) return -1;
            throw Error(errno, $"lgetxattr({Encoding.UTF8.GetString(nulTerminatedName[..^1])})", path);
        }
    }

    /// <summary>Convenience: one attribute's value, or null when absent.</summary>
    public static byte[]? GetXattr(string path, string name)
    {
        var buffer = new byte[XattrSizeMax];
        int length = GetXattr(path, Encoding.UTF8.GetBytes(name + "\0"), buffer);
        return length < 0 ? null : buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>Convenience: all attribute names of a path (without following a final symlink).</summary>
    public static List<string> ListXattrNames(string path)
    {
        var buffer = new byte[XattrListMax];
        int length = ListXattrs(path, buffer);
        var names = new List<string>();
        foreach (var range in buffer.AsSpan(0, length).Split((byte)0))
            if (range.End.Value > range.Start.Value) names.Add(Encoding.UTF8.GetString(buffer.AsSpan(range)));
        return names;
    }
}
