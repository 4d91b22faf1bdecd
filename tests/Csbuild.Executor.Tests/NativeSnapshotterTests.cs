using System.Formats.Tar;
using System.Security.Cryptography;
using Csbuild.Executor.Snapshotters;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Native;

namespace Csbuild.Executor.Tests;

/// <summary>
/// The native snapshotter (copy the lowers, run, compare) must leave the upper dir overlayfs would have left:
/// every scenario runs with both snapshotters and the layer tars written from the two upper dirs must match.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class NativeSnapshotterTests(ContainerFixture fixture)
{
    private ContainerRunner Runner(Snapshotter snapshotter) => new(new ContainerRunnerOptions
    {
        StateDirectory = fixture.StateDirectory,
        CgroupParent = fixture.CgroupParent,
        Snapshotter = snapshotter,
    });

    public static TheoryData<string, string> Scenarios => new()
    {
        { "create", "echo data > /newfile; mkdir -p /opt/tool; echo x > /opt/tool/bin" },
        { "modify", "echo more >> /etc/passwd" },
        { "delete file", "rm /bin/cat /etc/group" },
        { "delete dir", "rm -r /home/app" },
        { "opaque dir", "rm -r /home && mkdir /home && touch /home/new" },
        { "replace file by dir", "rm /etc/group && mkdir /etc/group && echo x > /etc/group/inner" },
        { "chmod chown", "chmod 600 /etc/group; chmod 4755 /etc/passwd; chown 1000:1000 /root" },
        { "symlink", "ln -s /etc/passwd /etc/pw-link; rm /bin/ls; ln -s /bin/busybox /bin/ls2" },
        { "hardlink", "ln /etc/passwd /etc/passwd.hard; echo a > /a; ln /a /b; mkdir /d; ln /a /d/c" },
        { "rename dir", "mv /home/app /home/renamed" },
        { "device and fifo", "mknod /dev-null c 1 3; mkfifo /pipe" },
        { "same size and mtime", "touch -r /etc/group /ref; printf x | dd of=/etc/group conv=notrunc 2>/dev/null; touch -r /ref /etc/group" },
        { "nothing", "true" },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task BothSnapshottersGiveTheSameLayer(string scenario, string script)
    {
        var overlay = await RunAsync(Snapshotter.Overlayfs, script, [fixture.BaseLayer]);
        var native = await RunAsync(Snapshotter.Native, script, [fixture.BaseLayer]);

        var expected = DescribeLayer(overlay.Step.Upper);
        var actual = DescribeLayer(native.Step.Upper);
        Assert.True(expected.SequenceEqual(actual),
            $"{scenario}:\noverlayfs:\n  {string.Join("\n  ", expected)}\nnative:\n  {string.Join("\n  ", actual)}");
    }

    [Fact]
    public async Task DeletionsAreOverlayWhiteoutsAndReplacedDirectoriesOpaque()
    {
        var run = await RunAsync(Snapshotter.Native, "rm /bin/cat; rm -r /home && mkdir /home && touch /home/new", [fixture.BaseLayer]);

        Assert.True(Libc.StatNoFollow(Path.Combine(run.Step.Upper, "bin/cat")).IsOverlayWhiteout);
        Assert.Equal("y"u8.ToArray(), Libc.GetXattr(Path.Combine(run.Step.Upper, "home"), "trusted.overlay.opaque"));
        Assert.Equal(["new"], Directory.EnumerateFileSystemEntries(Path.Combine(run.Step.Upper, "home")).Select(Path.GetFileName));
        // The lower layer is untouched and the copy the step ran in is gone.
        Assert.NotNull(Libc.TryStatNoFollow(Path.Combine(fixture.BaseLayer, "bin/cat")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.Step.Work));
    }

    [Fact]
    public async Task XattrsAndSetuidSurviveTheCopyAndTheDiff()
    {
        var layer = fixture.NewLayer("xattrs-" + Guid.NewGuid().ToString("N")[..8]);
        var tool = Path.Combine(layer, "tool");
        File.WriteAllText(tool, "#!/bin/sh\n");
        File.SetUnixFileMode(tool, (UnixFileMode)0x9ED); // 4755
        byte[] capability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        Libc.SetXattr(tool, "security.capability", capability);
        Libc.SetXattr(tool, "user.origin", "layer"u8);
        const string script = "ls -l /tool; echo >> /tool; chmod 4755 /tool";

        var overlay = await RunAsync(Snapshotter.Overlayfs, script, [layer, fixture.BaseLayer]);
        var native = await RunAsync(Snapshotter.Native, script, [layer, fixture.BaseLayer]);

        Assert.Equal(overlay.Stdout, native.Stdout); // the copy showed the step the same file
        Assert.Equal(DescribeLayer(overlay.Step.Upper), DescribeLayer(native.Step.Upper));
        var copied = Path.Combine(native.Step.Upper, "tool");
        Assert.Equal("layer"u8.ToArray(), Libc.GetXattr(copied, "user.origin"));
        Assert.Equal(0x9ED, (int)Libc.StatNoFollow(copied).Permissions);
    }

    [Fact]
    public async Task StackedLowersWithWhiteoutsAndOpaqueDirectoriesMergeAsOverlayfsDoes()
    {
        var top = fixture.NewLayer("stack-top-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(top, "etc"));
        Libc.CreateNode(Path.Combine(top, "etc/group"), Libc.S_IFCHR, 0, 0); // overlay-form whiteout
        Directory.CreateDirectory(Path.Combine(top, "home"));
        Libc.SetXattr(Path.Combine(top, "home"), "trusted.overlay.opaque", "y"u8);
        File.WriteAllText(Path.Combine(top, "home/only"), "top\n");
        const string script = "ls -a /home /etc; test ! -e /etc/group && echo hidden; rm /home/only";

        var overlay = await RunAsync(Snapshotter.Overlayfs, script, [top, fixture.BaseLayer]);
        var native = await RunAsync(Snapshotter.Native, script, [top, fixture.BaseLayer]);

        Assert.Contains("hidden", native.StdoutLines);
        Assert.Equal(overlay.Stdout, native.Stdout);
        Assert.Equal(DescribeLayer(overlay.Step.Upper), DescribeLayer(native.Step.Upper));
    }

    [Fact]
    public async Task LowersWithOciWhiteoutsMergeToo()
    {
        // Snapshots unpacked without root keep the OCI form, which overlayfs itself does not understand.
        var top = fixture.NewLayer("oci-form-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(Path.Combine(top, ".wh.var"), "");
        Directory.CreateDirectory(Path.Combine(top, "home"));
        File.WriteAllText(Path.Combine(top, "home", ".wh..wh..opq"), "");
        File.WriteAllText(Path.Combine(top, "home/only"), "top\n");

        var run = await RunAsync(Snapshotter.Native, "ls -a /home; test ! -e /var && echo var-hidden", [top, fixture.BaseLayer]);

        Assert.Equal([".", "..", "only", "var-hidden"], run.StdoutLines);
    }

    [Fact]
    public async Task UpperDirOnOverlayfsGetsOciWhiteoutsAndTheProbeSaysNoOverlay()
    {
        // Simulates a root directory that is itself on overlayfs (csbuild inside a container).
        var step = fixture.NewStep();
        var merged = Path.Combine(step.Temp, "outer");
        using var outer = OverlayMount.Mount([], step.Upper, step.Work, merged, Path.Combine(step.Temp, "outer-empty"));
        var upper = Directory.CreateDirectory(Path.Combine(merged, "upper")).FullName;
        var work = Directory.CreateDirectory(Path.Combine(merged, "work")).FullName;
        Assert.False(SnapshotterSelection.OverlayUsable(merged));

        var result = await new ContainerRunner(new ContainerRunnerOptions
        {
            StateDirectory = fixture.StateDirectory,
            CgroupParent = fixture.CgroupParent,
        }).RunAsync(new ContainerRequest
        {
            LowerDirs = [fixture.BaseLayer],
            UpperDir = upper,
            OverlayWorkDir = work,
            TempDirectory = Path.Combine(merged, "bundle"),
            Args = ["/bin/sh", "-c", "rm /bin/cat; rm -r /home && mkdir /home && echo x > /home/new"],
        }, null, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.True(File.Exists(Path.Combine(upper, "bin/.wh.cat")));
        Assert.True(File.Exists(Path.Combine(upper, "home/.wh..wh..opq")));
        Assert.Equal("x\n", File.ReadAllText(Path.Combine(upper, "home/new")));
        Assert.Contains("bin/.wh.cat", DescribeLayer(upper).Select(l => l.Split(' ')[0]));
        Directory.Delete(Path.Combine(merged, "upper"), recursive: true);
    }

    [Fact]
    public void EnvironmentVariableForcesTheSnapshotter()
    {
        var previous = Environment.GetEnvironmentVariable(SnapshotterSelection.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(SnapshotterSelection.EnvironmentVariable, "native");
            Assert.Equal(Snapshotter.Native, SnapshotterSelection.Choose(null, fixture.Root));
            Assert.Equal(Snapshotter.Overlayfs, SnapshotterSelection.Choose(Snapshotter.Overlayfs, fixture.Root));
            Environment.SetEnvironmentVariable(SnapshotterSelection.EnvironmentVariable, "zfs");
            var error = Assert.Throws<ExecutorException>(() => SnapshotterSelection.Choose(null, fixture.Root));
            Assert.Contains("CSBUILD_SNAPSHOTTER=zfs", error.Message);
            Environment.SetEnvironmentVariable(SnapshotterSelection.EnvironmentVariable, null);
            Assert.Equal(Snapshotter.Overlayfs, SnapshotterSelection.Choose(null, fixture.Root)); // ext4 here
        }
        finally
        {
            Environment.SetEnvironmentVariable(SnapshotterSelection.EnvironmentVariable, previous);
        }
    }

    [Fact]
    public async Task NativeStepLeavesNothingBehind()
    {
        (await RunAsync(Snapshotter.Native, "echo x > /f", [fixture.BaseLayer])).AssertSucceeded();

        Assert.Empty(fixture.LeftoverMounts());
        Assert.Empty(fixture.LeftoverCgroups());
        Assert.Empty(fixture.LeftoverRuntimeState());
    }

    [Fact]
    public async Task CancelledNativeStepRemovesItsCopy()
    {
        var step = fixture.NewStep();
        using var cts = new CancellationTokenSource();
        var output = new CollectingProgress { OnLine = line => { if (line.Text == "started") cts.Cancel(); } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Runner(Snapshotter.Native).RunAsync(fixture.Request(step, "echo started; sleep 30"), output, cts.Token));

        Assert.Empty(Directory.EnumerateFileSystemEntries(step.Work));
        Assert.Empty(Directory.EnumerateFileSystemEntries(step.Upper)); // a cancelled step's changes are not diffed
        Assert.Empty(fixture.LeftoverMounts());
        Assert.Empty(fixture.LeftoverRuntimeState());
    }

    private async Task<StepRun> RunAsync(Snapshotter snapshotter, string script, IReadOnlyList<string> lowerDirs)
    {
        var step = fixture.NewStep();
        var output = new CollectingProgress();
        var result = await Runner(snapshotter).RunAsync(fixture.Request(step, script, lowerDirs), output, CancellationToken.None);
        return new StepRun(result, output.Lines, step).AssertSucceeded();
    }

    /// <summary>One line per layer entry: everything a layer records except mtimes (new files differ between runs).</summary>
    private static List<string> DescribeLayer(string upperDir)
    {
        using var tar = new MemoryStream();
        LayerTarWriter.Write(upperDir, tar, new LayerWriteOptions { Compression = LayerCompression.None });
        tar.Position = 0;
        using var reader = new TarReader(tar);
        var lines = new List<string>();
        while (reader.GetNextEntry() is { } entry)
        {
            var content = entry.DataStream is { } data ? Convert.ToHexStringLower(SHA256.HashData(data))[..12] : "-";
            var xattrs = entry is PaxTarEntry pax
                ? string.Join(",", pax.ExtendedAttributes.Where(a => a.Key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
                    .OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key[13..] + "=" + Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(a.Value))))
                : "";
            var device = entry is PosixTarEntry posix && entry.EntryType is TarEntryType.CharacterDevice or TarEntryType.BlockDevice
                ? $"{posix.DeviceMajor}:{posix.DeviceMinor}" : "";
            lines.Add($"{entry.Name} {entry.EntryType} {Convert.ToString((int)entry.Mode, 8)} {entry.Uid}:{entry.Gid} {entry.Length} {entry.LinkName} {device} {content} {xattrs}");
        }
        return lines;
    }
}
