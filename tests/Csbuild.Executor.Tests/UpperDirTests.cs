using Csbuild.Oci.Native;

namespace Csbuild.Executor.Tests;

/// <summary>What a step leaves in its upper dir: its own changes in overlay format, and nothing of the runtime's.</summary>
[Collection(ContainerCollection.Name)]
public sealed class UpperDirTests(ContainerFixture fixture)
{
    private static readonly string[] RuntimeMountPoints = ["etc/hosts", "etc/resolv.conf", "etc/hostname", "proc", "dev", "sys"];

    [Fact]
    public async Task WrittenFilesLandInTheUpperDir()
    {
        var run = (await fixture.RunAsync("echo data > /newfile; mkdir -p /opt/tool; echo x > /opt/tool/bin")).AssertSucceeded();

        Assert.Equal("data\n", File.ReadAllText(Path.Combine(run.Step.Upper, "newfile")));
        Assert.Equal("x\n", File.ReadAllText(Path.Combine(run.Step.Upper, "opt/tool/bin")));
    }

    [Fact]
    public async Task DeletedLowerFilesBecomeWhiteouts()
    {
        var run = (await fixture.RunAsync("rm /bin/cat; rm -r /home/app")).AssertSucceeded();

        foreach (var deleted in new[] { "bin/cat", "home/app" })
        {
            var status = Libc.TryStatNoFollow(Path.Combine(run.Step.Upper, deleted));
            Assert.True(status is { IsOverlayWhiteout: true }, $"{deleted} is not a 0:0 character device: {status}");
        }
        Assert.NotNull(Libc.TryStatNoFollow(Path.Combine(fixture.BaseLayer, "bin/cat"))); // the lower layer is untouched
    }

    [Fact]
    public async Task RecreatedDirectoryIsOpaque()
    {
        var run = (await fixture.RunAsync("rm -r /home && mkdir /home && touch /home/new")).AssertSucceeded();

        Assert.Equal("y"u8.ToArray(), Libc.GetXattr(Path.Combine(run.Step.Upper, "home"), "trusted.overlay.opaque"));
    }

    [Fact]
    public async Task StepThatChangesNothingLeavesAnEmptyUpperDir()
    {
        // The busybox image has no /proc, /dev, /sys or /etc/hosts: the runtime creates them as mount points.
        var run = (await fixture.RunAsync("test -d /proc/self && test -c /dev/null && test -f /etc/resolv.conf")).AssertSucceeded();

        Assert.Empty(Directory.EnumerateFileSystemEntries(run.Step.Upper));
    }

    [Fact]
    public async Task RuntimeMountPointsDoNotLeakNextToRealChanges()
    {
        var run = (await fixture.RunAsync("echo 1 > /etc/extra; mkdir /data")).AssertSucceeded();

        Assert.True(File.Exists(Path.Combine(run.Step.Upper, "etc/extra")));
        Assert.True(Directory.Exists(Path.Combine(run.Step.Upper, "data")));
        foreach (var path in RuntimeMountPoints)
            Assert.Null(Libc.TryStatNoFollow(Path.Combine(run.Step.Upper, path)));
    }

    [Fact]
    public async Task ImageWithItsOwnMountPointsKeepsThemUntouched()
    {
        var layer = fixture.NewLayer("own-etc-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(layer, "etc"));
        Directory.CreateDirectory(Path.Combine(layer, "proc"));
        File.WriteAllText(Path.Combine(layer, "etc/hosts"), "10.0.0.1 image-host\n");

        var run = (await fixture.RunAsync("cat /etc/hosts", lowerDirs: [layer, fixture.BaseLayer],
            configure: request => request with { Hostname = "h" })).AssertSucceeded();

        Assert.Equal(["127.0.0.1\tlocalhost h", "::1\tlocalhost ip6-localhost ip6-loopback"], run.StdoutLines);
        Assert.Equal("10.0.0.1 image-host\n", File.ReadAllText(Path.Combine(layer, "etc/hosts")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.Step.Upper));
    }

    [Fact]
    public async Task DanglingResolvConfSymlinkTargetIsNotLeftBehind()
    {
        // Debian images with systemd-resolved ship /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf.
        var layer = fixture.NewLayer("resolv-link-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(layer, "etc"));
        File.CreateSymbolicLink(Path.Combine(layer, "etc/resolv.conf"), "../run/systemd/resolve/stub-resolv.conf");

        var run = (await fixture.RunAsync("cat /etc/resolv.conf > /dev/null", lowerDirs: [layer, fixture.BaseLayer])).AssertSucceeded();

        Assert.Empty(Directory.EnumerateFileSystemEntries(run.Step.Upper));
    }
}
