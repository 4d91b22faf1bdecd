namespace Csbuild.Executor.Tests;

[Collection(ContainerCollection.Name)]
public sealed class OverlayTests(ContainerFixture fixture)
{
    [Fact]
    public async Task ThirtyLowerLayersStackTopMostFirst()
    {
        var layers = MakeLayers(30, "l");

        var run = (await fixture.RunAsync("ls / | grep -c '^layer'; cat /which", lowerDirs: [.. layers, fixture.BaseLayer])).AssertSucceeded();

        Assert.Equal(["30", "0"], run.StdoutLines);
    }

    [Fact]
    public async Task LowerDirsBeyondTheMountOptionsPageLimitStillMount()
    {
        // 80 lowers of ~120-character paths: about 10 KB of lowerdir option, over the kernel's 4 KB page.
        var layers = MakeLayers(80, new string('x', 80));
        Assert.True(layers.Sum(l => l.Length + 1) > 4096);

        var run = (await fixture.RunAsync("ls / | grep -c '^layer'; cat /which", lowerDirs: [.. layers, fixture.BaseLayer])).AssertSucceeded();

        Assert.Equal(["80", "0"], run.StdoutLines);
        Assert.Empty(fixture.LeftoverMounts());
    }

    [Fact]
    public void MountWithoutLowerDirsUsesAnEmptyLower()
    {
        var step = fixture.NewStep();
        var target = Path.Combine(step.Temp, "merged");

        using (var mount = OverlayMount.Mount([], step.Upper, step.Work, target, Path.Combine(step.Temp, "empty")))
        {
            Assert.Empty(Directory.EnumerateFileSystemEntries(target));
            File.WriteAllText(Path.Combine(target, "file"), "x");
            Assert.Contains(File.ReadLines("/proc/self/mountinfo"), line => line.Contains(target));
        }

        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), line => line.Contains(target));
        Assert.Equal("x", File.ReadAllText(Path.Combine(step.Upper, "file")));
    }

    [Fact]
    public void MountNamesTheMergedDirectoryAndUnmountsOnce()
    {
        var step = fixture.NewStep();
        var target = Path.Combine(step.Temp, "merged");
        var mount = OverlayMount.Mount([fixture.BaseLayer], step.Upper, step.Work, target, Path.Combine(step.Temp, "empty"));

        Assert.Equal(target, mount.Target);
        Assert.True(File.Exists(Path.Combine(target, "etc/passwd")));
        mount.Dispose();
        mount.Dispose();
        Assert.False(File.Exists(Path.Combine(target, "etc/passwd")));
    }

    [Fact]
    public async Task AStepsRootIsVolatile_SoItsSyncsAndItsUnmountDoNotWaitForTheDisk()
    {
        // Every kernel this runs on has the option (5.10+); older ones mount without it.
        var run = (await fixture.RunAsync("grep ' / / ' /proc/self/mountinfo")).AssertSucceeded();

        var root = Assert.Single(run.StdoutLines);
        Assert.Contains("overlay", root);
        Assert.Matches(@",(volatile|fsync=volatile)(,|$)", root); // kernels since 6.8 show it as fsync=volatile
    }

    /// <summary>Layers named layerN, each also writing /which = N, so the top-most visible one can be told.</summary>
    private List<string> MakeLayers(int count, string prefix)
    {
        var batch = Guid.NewGuid().ToString("N")[..6];
        var layers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var layer = fixture.NewLayer($"{prefix}-{batch}-{i}");
            File.WriteAllText(Path.Combine(layer, "layer" + i), "");
            File.WriteAllText(Path.Combine(layer, "which"), i + "\n");
            layers.Add(layer);
        }
        return layers;
    }
}
