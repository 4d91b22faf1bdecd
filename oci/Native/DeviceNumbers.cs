namespace Csbuild.Oci.Native;

/// <summary>glibc's makedev/major/minor encoding of the 64-bit <c>dev_t</c>.</summary>
public static class DeviceNumbers
{
    public static ulong Make(uint major, uint minor) =>
        ((ulong)(major & 0xFFFFF000u) << 32) | ((ulong)(major & 0xFFFu) << 8) |
        ((ulong)(minor & 0xFFFFFF00u) << 12) | (minor & 0xFFu);

    public static uint Major(ulong dev) => (uint)(((dev >> 32) & 0xFFFFF000u) | ((dev >> 8) & 0xFFFu));

    public static uint Minor(ulong dev) => (uint)(((dev >> 12) & 0xFFFFFF00u) | (dev & 0xFFu));
}
