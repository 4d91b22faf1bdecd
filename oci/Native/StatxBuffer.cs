using System.Runtime.InteropServices;

namespace Csbuild.Oci.Native;

/// <summary>
/// <c>struct statx</c> from linux/stat.h. Unlike <c>struct stat</c> its layout is the same on every
/// architecture, which is why we bind statx(2) instead of lstat(2).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
public struct StatxBuffer
{
    public const uint BasicStats = 0x7FF;

    [FieldOffset(0)] public uint Mask;
    [FieldOffset(16)] public uint Nlink;
    [FieldOffset(20)] public uint Uid;
    [FieldOffset(24)] public uint Gid;
    [FieldOffset(28)] public ushort Mode;
    [FieldOffset(32)] public ulong Inode;
    [FieldOffset(40)] public ulong Size;
    [FieldOffset(112)] public long MtimeSeconds;
    [FieldOffset(120)] public uint MtimeNanoseconds;
    [FieldOffset(128)] public uint RdevMajor;
    [FieldOffset(132)] public uint RdevMinor;
    [FieldOffset(136)] public uint DevMajor;
    [FieldOffset(140)] public uint DevMinor;
}

/// <summary>The parts of an lstat result the layer code needs, decoded from <see cref="StatxBuffer"/>.</summary>
public readonly record struct FileStatus(
    uint Mode, uint Uid, uint Gid, uint LinkCount, ulong Inode, long Size,
    long MtimeSeconds, uint MtimeNanoseconds, uint DeviceMajor, uint DeviceMinor,
    uint RdevMajor, uint RdevMinor)
{
    public uint FileType => Mode & Libc.S_IFMT;
    public uint Permissions => Mode & 0xFFF; // rwx for all plus setuid, setgid, sticky
    public bool IsDirectory => FileType == Libc.S_IFDIR;
    public bool IsRegularFile => FileType == Libc.S_IFREG;
    public bool IsSymbolicLink => FileType == Libc.S_IFLNK;
    public bool IsCharacterDevice => FileType == Libc.S_IFCHR;
    public bool IsBlockDevice => FileType == Libc.S_IFBLK;
    public bool IsFifo => FileType == Libc.S_IFIFO;
    public bool IsSocket => FileType == Libc.S_IFSOCK;

    /// <summary>An overlayfs whiteout: a character device with device number 0:0.</summary>
    public bool IsOverlayWhiteout => IsCharacterDevice && RdevMajor == 0 && RdevMinor == 0;

    internal static FileStatus From(in StatxBuffer b) => new(
        b.Mode, b.Uid, b.Gid, b.Nlink, b.Inode, (long)b.Size, b.MtimeSeconds, b.MtimeNanoseconds,
        b.DevMajor, b.DevMinor, b.RdevMajor, b.RdevMinor);
}
