using Csbuild.Oci.Native;

namespace Csbuild.Executor.Tests;

/// <summary>Extra mounts of a step (RUN --mount): they are visible in the step, their mount points never reach the layer, and their targets stay inside the rootfs.</summary>
[Collection(ContainerCollection.Name)]
public sealed class MountTests(ContainerFixture fixture)
{
    [Fact]
    public async Task TmpfsMount_IsWritableAndLeavesNothingInTheUpperDir()
    {
        var run = (await fixture.RunAsync("echo x > /scratch/file && grep ' /scratch tmpfs' /proc/mounts",
            r => r with { Mounts = [ContainerMount.Tmpfs("/scratch", 4 * 1024 * 1024)] })).AssertSucceeded();

        Assert.Contains("/scratch tmpfs", run.Stdout);
        Assert.Contains("size=4096k", run.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.Step.Upper));
    }

    [Fact]
    public async Task ReadOnlyBind_IsReadableNotWritable_AndItsMountPointIsRemoved()
    {
        using var host = new TempDirectory();
        host.Write("data/hello.txt", "from the host");

        var run = (await fixture.RunAsync("cat /mnt/in/deeper/hello.txt; echo; touch /mnt/in/deeper/new && echo WRITABLE || echo READONLY",
            r => r with { Mounts = [ContainerMount.Bind(Path.Combine(host.Path, "data"), "/mnt/in/deeper", readOnly: true)] })).AssertSucceeded();

        Assert.Contains("from the host", run.Stdout);
        Assert.Contains("READONLY", run.Stdout);
        Assert.False(File.Exists(Path.Combine(host.Path, "data/new")));
        // /mnt exists in busybox? Either way neither /mnt/in nor a copied-up /mnt may stay in the layer.
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.Step.Upper));
    }

    [Fact]
    public async Task WritableBind_WritesToTheSourceNotTheLayer()
    {
        using var host = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(host.Path, "cache"));

        var run = (await fixture.RunAsync("echo kept > /cache/file && echo layer > /in-layer",
            r => r with { Mounts = [ContainerMount.Bind(Path.Combine(host.Path, "cache"), "/cache", readOnly: false)] })).AssertSucceeded();

        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(host.Path, "cache/file")));
        Assert.Equal(["in-layer"], Directory.EnumerateFileSystemEntries(run.Step.Upper).Select(Path.GetFileName));
    }

    [Fact]
    public async Task FileBind_GetsAFileMountPoint_ThatIsRemovedAfterwards()
    {
        using var host = new TempDirectory();
        var secret = host.Write("secret", "s3cr3t");

        var run = (await fixture.RunAsync("test -f /run/secrets/token && cat /run/secrets/token",
            r => r with { Mounts = [ContainerMount.Bind(secret, "/run/secrets/token", readOnly: true)] })).AssertSucceeded();

        Assert.Equal("s3cr3t", run.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.Step.Upper));
    }

    [Fact]
    public async Task TargetThroughAnEscapingSymlink_StaysInsideTheRootfs()
    {
        using var host = new TempDirectory();
        var outside = Path.Combine(host.Path, "outside");
        var layer = fixture.NewLayer("escape-" + Guid.NewGuid().ToString("N")[..6]);
        // An image symlink pointing far above the root, then to a host directory.
        File.CreateSymbolicLink(Path.Combine(layer, "escape"), "/../../../../../../.." + outside);

        // In the container, the link resolves to {outside}/target under its own root: that is where the tmpfs is.
        var run = (await fixture.RunAsync($"grep -q ' {outside}/target tmpfs' /proc/mounts && echo mounted",
            r => r with { Mounts = [ContainerMount.Tmpfs("/escape/target", null)] },
            lowerDirs: [layer, fixture.BaseLayer])).AssertSucceeded();

        Assert.Contains("mounted", run.Stdout);
        Assert.False(Directory.Exists(outside), "the mount point was created on the host");
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.Step.Upper));
    }

    [Theory]
    [InlineData("/proc/self/fd/7")]
    [InlineData("/sys/kernel/x")]
    public async Task TargetsInProcOrSys_AreRefused(string target)
    {
        var e = await Assert.ThrowsAsync<ExecutorException>(() =>
            fixture.RunAsync("true", r => r with { Mounts = [ContainerMount.Tmpfs(target, null)] }));
        Assert.Contains("/proc or /sys", e.Message);
        Assert.Empty(fixture.LeftoverMounts());
    }

    [Fact]
    public async Task WorkingDirectoryInProcSelfFd_IsRefused()
    {
        var e = await Assert.ThrowsAsync<ExecutorException>(() =>
            fixture.RunAsync("pwd", r => r with { WorkingDir = "/proc/self/fd/7" }));
        Assert.Contains("/proc", e.Message);
    }

    [Theory]
    [InlineData("relative/path")]
    [InlineData("/a/../../etc")]
    [InlineData("/")]
    public async Task MalformedTargets_AreRefused(string target)
    {
        await Assert.ThrowsAsync<ExecutorException>(() =>
            fixture.RunAsync("true", r => r with { Mounts = [ContainerMount.Tmpfs(target, null)] }));
        Assert.Empty(fixture.LeftoverMounts());
    }

    [Fact]
    public void MountSourceView_MergesLayers_ReadOnlyOrWithDiscardedWrites()
    {
        using var dir = new TempDirectory();
        var bottom = dir.Write("bottom/a.txt", "bottom-a");
        dir.Write("bottom/b.txt", "bottom-b");
        dir.Write("top/a.txt", "top-a");
        string[] lowers = [Path.Combine(dir.Path, "top"), Path.Combine(dir.Path, "bottom")];

        using (var view = MountSourceView.Open(lowers, Path.Combine(dir.Path, "ro"), writable: false))
        {
            Assert.Equal("top-a", File.ReadAllText(view.Resolve("/a.txt")));
            Assert.Equal("bottom-b", File.ReadAllText(view.Resolve("b.txt")));
            Assert.ThrowsAny<IOException>(() => File.WriteAllText(view.Resolve("/c.txt"), "x"));
        }
        using (var view = MountSourceView.Open(lowers, Path.Combine(dir.Path, "rw"), writable: true))
        {
            File.WriteAllText(view.Resolve("/a.txt"), "changed");
            Assert.Equal("changed", File.ReadAllText(view.Resolve("/a.txt")));
        }
        Assert.Equal("top-a", File.ReadAllText(Path.Combine(dir.Path, "top/a.txt")));
        Assert.Equal("bottom-a", File.ReadAllText(bottom));
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(dir.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void MountSourceView_ResolvesSymlinksInsideTheView()
    {
        using var dir = new TempDirectory();
        dir.Write("layer/etc/file", "inside");
        dir.Link("layer/link", "/../../../etc");

        using var view = MountSourceView.Open([Path.Combine(dir.Path, "layer")], Path.Combine(dir.Path, "scratch"), writable: false);

        Assert.Equal(Path.Combine(dir.Path, "layer", "etc"), view.Resolve("/link"));
    }

    [Fact]
    public void TmpfsMount_IsATmpfsUntilDisposed()
    {
        using var dir = new TempDirectory();
        var target = Path.Combine(dir.Path, "t");
        using (TmpfsMount.Mount(target, 1024 * 1024))
        {
            Assert.Contains(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(" " + target + " ", StringComparison.Ordinal) && l.Contains("tmpfs"));
            Assert.Equal(0x1C0, (int)Libc.StatNoFollow(target).Permissions); // 0700
        }
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(target, StringComparison.Ordinal));
    }
}
