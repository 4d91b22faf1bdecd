using Csbuild.Oci.Native;

namespace Csbuild.Executor.Native;

/// <summary>
/// lstat plus the inode change time (ctime), which oci's <see cref="FileStatus"/> leaves out. ctime cannot be set
/// from user space, so it tells the native snapshotter which inodes a step touched.
/// </summary>
internal static unsafe class NodeStatus
{
    private const uint StatxCtime = 0x80;
    // struct statx: stx_ctime (struct statx_timestamp { s64 tv_sec; u32 tv_nsec; }) sits at byte 96 on every architecture.
    private const int CtimeOffset = 96;

    /// <summary>Returns null when the path does not exist.</summary>
    public static (FileStatus Status, long ChangeTimeNanoseconds)? TryGet(string path)
    {
        StatxBuffer buffer;
        if (Libc.statx(Libc.AtFdCwd, path, Libc.AtSymlinkNoFollow, StatxBuffer.BasicStats | StatxCtime, &buffer) != 0)
        {
            var errno = Libc.LastErrno;
            if (errno is Errno.ENOENT or Errno.ENOTDIR) return null;
            throw Libc.Error(errno, "statx", path);
        }
        var raw = (byte*)&buffer;
        var ctime = *(long*)(raw + CtimeOffset) * 1_000_000_000L + *(uint*)(raw + CtimeOffset + 8);
        var status = new FileStatus(buffer.Mode, buffer.Uid, buffer.Gid, buffer.Nlink, buffer.Inode, (long)buffer.Size,
            buffer.MtimeSeconds, buffer.MtimeNanoseconds, buffer.DevMajor, buffer.DevMinor, buffer.RdevMajor, buffer.RdevMinor);
        return (status, ctime);
    }

    public static (FileStatus Status, long ChangeTimeNanoseconds) Get(string path) =>
        TryGet(path) ?? throw Libc.Error(Errno.ENOENT, "statx", path);

}
