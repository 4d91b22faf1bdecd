using System.Runtime.InteropServices;

namespace Csbuild.Solver.Native;

/// <summary>
/// lstat-like file metadata through statx(2), whose struct layout is the same on every architecture
/// (struct stat is not). .NET exposes no uid/gid/rdev/inode, which content checksums and whiteouts need.
/// </summary>
public readonly partial record struct FileStatus(uint Mode, uint Uid, uint Gid, ulong Inode, uint LinkCount, long Size, long MtimeSeconds, uint MtimeNanoseconds, uint RdevMajor, uint RdevMinor, uint DevMajor, uint DevMinor)
{
    public const uint TypeMask = 0xF000;
    public const uint TypeDirectory = 0x4000;
    public const uint TypeRegular = 0x8000;
    public const uint TypeSymlink = 0xA000;
    public const uint TypeCharDevice = 0x2000;
    public const uint TypeBlockDevice = 0x6000;
    public const uint TypeFifo = 0x1000;
    public const uint TypeSocket = 0xC000;

    public uint Type => Mode & TypeMask;
    public uint Permissions => Mode & 0xFFF;
    public bool IsDirectory => Type == TypeDirectory;
    public bool IsRegular => Type == TypeRegular;
    public bool IsSymlink => Type == TypeSymlink;
    /// <summary>An overlayfs whiteout: a character device numbered 0:0.</summary>
    public bool IsOverlayWhiteout => Type == TypeCharDevice && RdevMajor == 0 && RdevMinor == 0;

    /// <summary>Metadata of <paramref name="path"/> itself (symlinks are not followed); null when it does not exist.</summary>
    public static FileStatus? TryGet(string path)
    {
        var result = StatX(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, out var buffer);
        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR) return null;
            throw new IOException($"cannot stat {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return new FileStatus(buffer.Mode, buffer.Uid, buffer.Gid, buffer.Ino, buffer.Nlink, (long)buffer.Size,
            buffer.MtimeSec, buffer.MtimeNsec, buffer.RdevMajor, buffer.RdevMinor, buffer.DevMajor, buffer.DevMinor);
    }

    public static FileStatus Get(string path) => TryGet(path) ?? throw new FileNotFoundException($"no such file: {path}", path);

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;

    [StructLayout(LayoutKind.Sequential)]
    private struct StatxBuffer
    {
        public uint Mask;
        public uint Blksize;
        public ulong Attributes;
        public uint Nlink;
        public uint Uid;
        public uint Gid;
        public ushort ModeRaw;
        public ushort Spare0;
        public ulong Ino;
        public ulong Size;
        public ulong Blocks;
        public ulong AttributesMask;
        public long AtimeSec; public uint AtimeNsec; public int AtimePad;
        public long BtimeSec; public uint BtimeNsec; public int BtimePad;
        public long CtimeSec; public uint CtimeNsec; public int CtimePad;
        public long MtimeSec; public uint MtimeNsec; public int MtimePad;
        public uint RdevMajor;
        public uint RdevMinor;
        public uint DevMajor;
        public uint DevMinor;
        public unsafe fixed ulong Spare[14];

        public readonly uint Mode => ModeRaw;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatX(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);
}
