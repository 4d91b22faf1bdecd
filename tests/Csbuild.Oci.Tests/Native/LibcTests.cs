using System.Text;
using Csbuild.Oci.Native;
using Csbuild.Oci.Tests.Support;

namespace Csbuild.Oci.Tests.Native;

public class LibcTests
{
    [Fact]
    public void StatNoFollow_ReportsTheSameAsTheBcl_AndDoesNotFollowSymlinks()
    {
        using var dir = new TempDirectory();
        string file = dir.Combine("file");
        File.WriteAllBytes(file, new byte[1234]);
        File.SetUnixFileMode(file, (UnixFileMode)0x1E4); // 0744
        Libc.SetTimesNoFollow(file, 1_500_000_000, 5);
        string link = dir.Combine("link");
        File.CreateSymbolicLink(link, "file");

        var status = Libc.StatNoFollow(file);
        Assert.True(status.IsRegularFile);
        Assert.Equal(1234, status.Size);
        Assert.Equal(0x1E4u, status.Permissions);
        Assert.Equal(1_500_000_000, status.MtimeSeconds);
        Assert.Equal(5u, status.MtimeNanoseconds);
        Assert.Equal(1u, status.LinkCount);

        var linkStatus = Libc.StatNoFollow(link);
        Assert.True(linkStatus.IsSymbolicLink);
        Assert.NotEqual(status.Inode, linkStatus.Inode);
        Assert.Null(Libc.TryStatNoFollow(dir.Combine("missing")));
    }

    [Fact]
    public void Failures_CarryStrerrorText_AndErrno()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<NativeIOException>(() => Libc.ChangeOwnerNoFollow(dir.Combine("missing"), 0, 0));
        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Contains("No such file or directory", error.Message);
        Assert.Contains("lchown", error.Message);
        Assert.Contains("missing", error.Message);
        Assert.IsAssignableFrom<IOException>(error);
    }

    [Fact]
    public void DeviceNumbers_RoundTripLikeGlibc()
    {
        Assert.Equal(0x0103UL, DeviceNumbers.Make(1, 3)); // /dev/null
        foreach (var (major, minor) in new (uint, uint)[] { (0, 0), (1, 3), (8, 17), (259, 65536), (4095, 1048575) })
        {
            ulong dev = DeviceNumbers.Make(major, minor);
            Assert.Equal(major, DeviceNumbers.Major(dev));
            Assert.Equal(minor, DeviceNumbers.Minor(dev));
        }
    }

    [Fact]
    public void Mknod_Lchown_Xattrs_WorkAsRoot()
    {
        RootRequirement.Ensure();
        using var dir = new TempDirectory();
        string device = dir.Combine("null");
        Libc.CreateNode(device, Libc.S_IFCHR | 0x1B6, 1, 3);
        var status = Libc.StatNoFollow(device);
        Assert.True(status.IsCharacterDevice);
        Assert.Equal((1u, 3u), (status.RdevMajor, status.RdevMinor));

        string whiteout = dir.Combine("whiteout");
        Libc.CreateNode(whiteout, Libc.S_IFCHR, 0, 0);
        Assert.True(Libc.StatNoFollow(whiteout).IsOverlayWhiteout);

        string file = dir.Combine("file");
        File.WriteAllText(file, "x");
        Libc.ChangeOwnerNoFollow(file, 4321, 8765);
        Assert.Equal((4321u, 8765u), (Libc.StatNoFollow(file).Uid, Libc.StatNoFollow(file).Gid));

        byte[] binary = [0x00, 0xC0, 0xFF, 0x80, 0x01];
        Libc.SetXattr(file, "trusted.test", binary);
        Libc.SetXattr(file, "user.note", Encoding.UTF8.GetBytes("hi"));
        Assert.Equal(binary, Libc.GetXattr(file, "trusted.test"));
        Assert.Null(Libc.GetXattr(file, "user.absent"));
        Assert.Equal(["trusted.test", "user.note"], Libc.ListXattrNames(file).Order(StringComparer.Ordinal));

        // l* calls act on the link itself
        string link = dir.Combine("link");
        File.CreateSymbolicLink(link, "file");
        Libc.ChangeOwnerNoFollow(link, 1, 2);
        Libc.SetXattr(link, "trusted.onlink", [1]);
        Assert.Equal((4321u, 8765u), (Libc.StatNoFollow(file).Uid, Libc.StatNoFollow(file).Gid));
        Assert.Equal((1u, 2u), (Libc.StatNoFollow(link).Uid, Libc.StatNoFollow(link).Gid));
        Assert.Null(Libc.GetXattr(file, "trusted.onlink"));
    }

    [Fact]
    public void MountAndUnmount_Tmpfs()
    {
        RootRequirement.Ensure();
        using var dir = new TempDirectory();
        string mountPoint = dir.Sub("mnt");
        Libc.Mount("tmpfs", mountPoint, "tmpfs", Libc.MsNosuid | Libc.MsNodev, "size=1m,mode=0700");
        try
        {
            File.WriteAllText(Path.Join(mountPoint, "inside"), "x");
            Assert.Contains(mountPoint, File.ReadAllText("/proc/self/mountinfo"));
        }
        finally
        {
            Libc.Unmount(mountPoint);
        }
        Assert.False(File.Exists(Path.Join(mountPoint, "inside")));
        var busy = Assert.Throws<NativeIOException>(() => Libc.Unmount(mountPoint));
        Assert.Equal(Errno.EINVAL, busy.Errno); // not a mount point any more
    }
}
