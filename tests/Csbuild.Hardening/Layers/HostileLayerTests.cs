using Csbuild.Hardening.Support;
using Csbuild.TestSupport;
using Xunit.Abstractions;

namespace Csbuild.Hardening.Layers;

/// <summary>
/// Issue 11, item 1: hostile layers reach csbuild through <c>csbuild load</c> and through a pull from a real
/// registry, then a build uses them (which unpacks them). Every one is refused with a clear error or stays inside
/// its snapshot; the sentinel directory outside is never touched and no partial snapshot stays in the root.
/// </summary>
[Collection("csbuild")]
public sealed class HostileLayerTests(BusyboxBase busybox, ITestOutputHelper output) : IClassFixture<RegistryFixture>
{
    [Fact]
    public void HostileLayers_LoadedFromAnArchive_AreRefusedOrContained()
    {
        using var dir = new TempDirectory("csbuild-hostile-load");
        using var sentinel = new Sentinel();
        var root = busybox.NewRoot(dir);
        var cases = HostileLayerCases.All(sentinel.Path);
        for (int i = 0; i < cases.Count; i++)
        {
            var archive = dir.Combine($"hostile-{i}.tar");
            new HandImage(busybox, cases[i].Layer).WriteOciArchive(archive, $"hostile-{i}:1");
            var load = CsbuildProgram.Run(root, "load", "-i", archive);
            Assert.True(load.ExitCode == 0, $"{cases[i]}: load failed\n{load}");
            BuildAndCheck(root, dir, sentinel, cases[i], $"hostile-{i}:1");
        }
        Figures.Record("hostile layers tried through load", cases.Count);
        AssertRootStillBuilds(root, dir);
    }

    [Fact]
    public async Task HostileLayers_PulledFromARegistry_AreRefusedOrContained()
    {
        using var registry = RegistryFixture.Start(new RegistryFixtureOptions());
        using var dir = new TempDirectory("csbuild-hostile-pull");
        using var sentinel = new Sentinel();
        var root = busybox.NewRoot(dir);
        var cases = HostileLayerCases.All(sentinel.Path);
        for (int i = 0; i < cases.Count; i++)
        {
            await new HandImage(busybox, cases[i].Layer).PushAsync(registry, $"hostile/case{i}:1");
            BuildAndCheck(root, dir, sentinel, cases[i], registry.Reference($"hostile/case{i}:1"));
        }
        Figures.Record("hostile layers tried through a registry pull", cases.Count);
        AssertRootStillBuilds(root, dir);
    }

    private void BuildAndCheck(string root, TempDirectory dir, Sentinel sentinel, HostileLayerCase hostile, string image)
    {
        var ctx = dir.Combine("ctx-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(ctx);
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), $"FROM {image}\nRUN {hostile.Check ?? "true"}\n");
        var env = new Dictionary<string, string?> { ["CSBUILD_MAX_DECOMPRESSED_SIZE"] = HostileLayerCases.Limit };
        var build = CsbuildProgram.Run(root, env, "build", "--progress=plain", ctx);
        var errorLine = build.Stderr.Split('\n').LastOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)) ?? "";
        output.WriteLine($"{hostile}: exit {build.ExitCode} {errorLine}");
        if (hostile.Refusal is { } refusal)
        {
            Assert.True(build.ExitCode != 0, $"{hostile}: the build succeeded\n{build}");
            Assert.True(errorLine.Contains(refusal, StringComparison.OrdinalIgnoreCase), $"{hostile}: expected an error line with '{refusal}'\n{build}");
        }
        else Assert.True(build.ExitCode == 0, $"{hostile}: expected the layer to unpack inside its snapshot\n{build}");

        sentinel.AssertUntouched(hostile.Name);
        Assert.Empty(RootInspector.UnreferencedOrPartialSnapshots(root));
        Assert.Empty(RootInspector.TempEntries(root));
        Assert.Empty(RootInspector.MountsUnder(root));
    }

    private static void AssertRootStillBuilds(string root, TempDirectory dir)
    {
        dir.Write("ok/Dockerfile", "FROM busybox:latest\nRUN echo fine > /fine\n");
        var build = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "fine:1", dir.Combine("ok"));
        Assert.True(build.ExitCode == 0, build.ToString());
    }
}
