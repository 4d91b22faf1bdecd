namespace Csbuild.Oci.Native;

/// <summary>A failed libc call: the message names the operation, the path and strerror's text.</summary>
public sealed class NativeIOException : IOException
{
    public NativeIOException(int errno, string message) : base(message, errno) => Errno = errno;

    /// <summary>The errno value (see <see cref="Native.Errno"/>).</summary>
    public int Errno { get; }
}

/// <summary>The errno values callers branch on (Linux numbering, the same on every architecture we run on).</summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int EXDEV = 18;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ERANGE = 34;
    public const int ENOSYS = 38;
    public const int ENOTEMPTY = 39;
    public const int ENODATA = 61;
    public const int EOPNOTSUPP = 95;
}
