using System.Text;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Native;
using Csbuild.Oci.Tests.Support;

namespace Csbuild.Oci.Tests.Layers;

/// <summary>
/// The fallback for extraction without root (forced here with Privileged = false, since the suite runs as root):
/// OCI whiteout files instead of overlay whiteouts, no chown, only user.* xattrs, no device nodes.
/// </summary>
public class UnprivilegedExtractionTests
{
    private static readonly LayerExtractOptions Unprivileged = new() { Privileged = false };

    [Fact]
    public void Whiteouts_StayOciFiles_AndTheSnapshotArchivesToTheSameLayer()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        SampleTrees.BuildFullTree(diff);
        string blob = dir.Combine("layer");
        var written = LayerHelper.WriteToFile(diff, blob);

        string target = dir.Combine("snapshot");
        var result = LayerHelper.ExtractFile(blob, target, Unprivileged);

        Assert.False(result.OverlayFormat);
        Assert.Equal(written.DiffId, result.DiffId);
        var whiteout = Libc.StatNoFollow(Path.Join(target, ".wh.deleted"));
        Assert.True(whiteout.IsRegularFile);
        Assert.Equal(0, whiteout.Size);
        Assert.Null(Libc.TryStatNoFollow(Path.Join(target, "deleted")));
        Assert.True(Libc.StatNoFollow(Path.Join(target, "opaque", Whiteouts.OpaqueMarker)).IsRegularFile);
        Assert.Null(Libc.GetXattr(Path.Join(target, "opaque"), Whiteouts.OverlayOpaqueXattr));

        // only user.* attributes: the capability (needs CAP_SETFCAP) is skipped, the user comment kept
        Assert.Null(Libc.GetXattr(Path.Join(target, "bin", "pinger"), "security.capability"));
        Assert.Equal("hello", Encoding.UTF8.GetString(Libc.GetXattr(Path.Join(target, "etc", "annotated"), "user.comment")!));

        // the writer accepts this form too: with the owners and capability put back, the layer is identical
        Libc.SetXattr(Path.Join(target, "bin", "pinger"), "security.capability", SampleTrees.CapabilityValue);
        Libc.SetTimesNoFollow(Path.Join(target, "bin", "pinger"), Libc.StatNoFollow(Path.Join(diff, "bin", "pinger")).MtimeSeconds);
        var owners = TreeSnapshot.Capture(diff).ToDictionary(r => r.Path, r => ((int)r.Uid, (int)r.Gid));
        var again = LayerHelper.WriteToFile(target, dir.Combine("again"), new LayerWriteOptions
        {
            OwnerOverride = path => owners[path],
        });
        Assert.Equal(written.DiffId, again.DiffId);
    }

    [Fact]
    public void Owners_AreNotChanged()
    {
        using var dir = new TempDirectory();
        var tar = HostileTar.Build(w =>
        {
            w.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "owned")
            {
                Uid = 4242,
                Gid = 4343,
                Mode = (UnixFileMode)0x9ED,
                DataStream = new MemoryStream([1]),
            });
        });
        string target = dir.Combine("t");
        LayerHelper.ExtractBytes(tar, target, Unprivileged);
        var status = Libc.StatNoFollow(Path.Join(target, "owned"));
        Assert.Equal((Libc.geteuid(), Libc.getegid()), (status.Uid, status.Gid));
        Assert.Equal(0x9EDu, status.Permissions);
    }

    [Fact]
    public void DeviceNodes_CannotBeCreated()
    {
        using var dir = new TempDirectory();
        var tar = HostileTar.Build(w => HostileTar.Device(w, "dev/null", 1, 3));
        var error = Assert.Throws<NotSupportedException>(() =>
            LayerHelper.ExtractBytes(tar, dir.Combine("t"), Unprivileged with { AllowDevices = true }));
        Assert.Contains("only root", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ReadOnlyDirectories_AreFilledBeforeTheirModeIsApplied()
    {
        using var dir = new TempDirectory();
        var tar = HostileTar.Build(w =>
        {
            HostileTar.Directory(w, "ro/", mode: 0x16D);
            HostileTar.File(w, "ro/inside", "x", mode: 0x124);
        });
        string target = dir.Combine("t");
        LayerHelper.ExtractBytes(tar, target, Unprivileged);
        Assert.Equal(0x16Du, Libc.StatNoFollow(Path.Join(target, "ro")).Permissions);
        Assert.Equal("x", File.ReadAllText(Path.Join(target, "ro", "inside")));
    }
}
