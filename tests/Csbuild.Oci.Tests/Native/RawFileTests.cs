using Csbuild.Oci.Native;
using Csbuild.Oci.Tests.Support;

namespace Csbuild.Oci.Tests.Native;

public class RawFileTests
{
    [Fact]
    public void CopyFrom_CopiesEveryByte_AndModeOwnerAndMtimeAreSetThroughTheDescriptor()
    {
        using var dir = new TempDirectory();
        var data = new byte[3 * 65536 + 17];
        new Random(9).NextBytes(data);
        File.WriteAllBytes(dir.Combine("source"), data);

        using (var from = RawFile.OpenRead(dir.Combine("source")))
        using (var to = RawFile.CreateNew(dir.Combine("copy")))
        {
            to.CopyFrom(from);
            var owned = to.TryChangeOwner(Libc.geteuid(), Libc.getegid());
            Assert.True(owned);
            to.ChangeMode(0b100_111_101_101); // setuid + 0755: set after the owner, which would clear it
            to.SetModificationTime(1_600_000_000, 123_456_789);
        }

        Assert.Equal(data, File.ReadAllBytes(dir.Combine("copy")));
        var status = Libc.StatNoFollow(dir.Combine("copy"));
        Assert.Equal(0b100_111_101_101u, status.Permissions);
        Assert.Equal(1_600_000_000, status.MtimeSeconds);
        Assert.Equal(123_456_789u, status.MtimeNanoseconds);
    }

    [Fact]
    public void Reading_ReturnsTheContent_ThenZero()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("f"), "hello");
        using var file = RawFile.OpenRead(dir.Combine("f"));
        var buffer = new byte[16];
        Assert.Equal(5, file.Read(buffer));
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);
        Assert.Equal(0, file.Read(buffer));
    }

    [Fact]
    public void NeitherOpenNorCreateFollowsASymlink_AndCreateRefusesAnExistingFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("target"), "outside");
        File.CreateSymbolicLink(dir.Combine("link"), dir.Combine("target"));

        Assert.Equal(40, Assert.Throws<NativeIOException>(() => RawFile.OpenRead(dir.Combine("link"))).Errno); // ELOOP
        Assert.Equal(Errno.EEXIST, Assert.Throws<NativeIOException>(() => RawFile.CreateNew(dir.Combine("link"))).Errno);
        Assert.Equal(Errno.EEXIST, Assert.Throws<NativeIOException>(() => RawFile.CreateNew(dir.Combine("target"))).Errno);
        Assert.Equal("outside", File.ReadAllText(dir.Combine("target")));
        var missing = Assert.Throws<NativeIOException>(() => RawFile.OpenRead(dir.Combine("missing")));
        Assert.Contains(dir.Combine("missing"), missing.Message);
    }
}
