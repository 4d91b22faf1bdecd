using System.Formats.Tar;
using System.IO.Compression;
using Csbuild.Cache;
using Csbuild.Containers.Image;
using Csbuild.Containers.Layers;
using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>Layer planning and building from a publish directory: the split, reproducible bytes, cache reuse, owner and mode control.</summary>
public sealed class AppLayerBuilderTests
{
    private static string WritePublishOutput(TempDirectory dir, string name, string appText = "app v1")
    {
        var publish = dir.Combine(name);
        dir.Write($"{name}/App.dll", appText);
        dir.Write($"{name}/App.deps.json", "{}");
        dir.Write($"{name}/Dep.dll", "nuget dependency");
        dir.Write($"{name}/runtimes/linux-x64/native/libdep.so", "native dependency");
        dir.Write($"{name}/Lib.dll", "project reference");
        Directory.CreateDirectory(Path.Combine(publish, "wwwroot"));
        File.SetUnixFileMode(Path.Combine(publish, "App.dll"), (UnixFileMode)0b111_101_101);
        return publish;
    }

    private static readonly PublishFile[] KnownFiles =
    [
        new("Dep.dll", PublishFileOrigin.NuGetPackage),
        new("runtimes/linux-x64/native/libdep.so", PublishFileOrigin.NuGetPackage),
        new("Lib.dll", PublishFileOrigin.ProjectReference),
    ];

    private static ContainerRequest Request(string publish, string obj, string root, Func<ContainerRequest, ContainerRequest>? edit = null)
    {
        var request = new ContainerRequest
        {
            PublishDirectory = publish, PublishFiles = KnownFiles, BaseImage = "base", Repository = "app",
            IntermediateDirectory = obj, CsbuildRoot = root,
        };
        return edit?.Invoke(request) ?? request;
    }

    [Fact]
    public void Planner_SplitsDependencies_ProjectReferences_AndTheApp()
    {
        using var dir = new TempDirectory();
        var publish = WritePublishOutput(dir, "publish");
        var plans = LayerPlanner.Plan(publish, KnownFiles, ContainerLayering.Dependencies);
        Assert.Equal(["dependencies", "project references", "application"], plans.Select(p => p.Name));
        Assert.Equal(["Dep.dll", "runtimes/linux-x64/native/libdep.so"], plans[0].Files);
        Assert.Equal(["Lib.dll"], plans[1].Files);
        Assert.Equal(["App.deps.json", "App.dll"], plans[2].Files);
        Assert.Equal(["wwwroot"], plans[2].EmptyDirectories);

        var single = Assert.Single(LayerPlanner.Plan(publish, KnownFiles, ContainerLayering.Single));
        Assert.Equal(5, single.Files.Count);
    }

    [Fact]
    public void Planner_RefusesAMissingPublishDirectory_WithCSB004() =>
        Assert.Equal("CSB004", Assert.Throws<Containers.ContainerBuildException>(
            () => LayerPlanner.Plan("/nonexistent/publish", [], ContainerLayering.Dependencies)).Diagnostic.Code);

    [Fact]
    public void SamePublishOutput_InAnotherDirectoryAndRoot_GivesTheSameLayers_AndAChangedAppOnlyChangesItsLayer()
    {
        using var dir = new TempDirectory();
        var first = BuildAll(dir, "a", "app v1");
        var second = BuildAll(dir, "b", "app v1");
        Assert.Equal(first.Select(l => l.BlobDigest), second.Select(l => l.BlobDigest));
        Assert.All(second, l => Assert.False(l.Reused));

        var changed = BuildAll(dir, "c", "app v2");
        Assert.Equal(first.Take(2).Select(l => l.BlobDigest), changed.Take(2).Select(l => l.BlobDigest));
        Assert.NotEqual(first[2].BlobDigest, changed[2].BlobDigest);
    }

    private static List<BuiltLayer> BuildAll(TempDirectory dir, string name, string appText)
    {
        var publish = WritePublishOutput(dir, name, appText);
        var request = Request(publish, dir.Combine(name + "-obj"), dir.Combine(name + "-root"));
        using var root = CsbuildRoot.Open(request.CsbuildRoot);
        var builder = new AppLayerBuilder(root, request);
        string? chain = null;
        var layers = new List<BuiltLayer>();
        foreach (var plan in LayerPlanner.Plan(publish, KnownFiles, ContainerLayering.Dependencies))
        {
            var layer = builder.Build(plan, chain, default);
            chain = layer.ChainId;
            layers.Add(layer);
        }
        return layers;
    }

    [Fact]
    public void UnchangedFiles_ReuseTheCachedLayer_WithoutStaging()
    {
        using var dir = new TempDirectory();
        var publish = WritePublishOutput(dir, "publish");
        var request = Request(publish, dir.Combine("obj"), dir.Combine("root"));
        using var root = CsbuildRoot.Open(request.CsbuildRoot);
        var plan = LayerPlanner.Plan(publish, KnownFiles, ContainerLayering.Dependencies)[2];
        var built = new AppLayerBuilder(root, request).Build(plan, null, default);
        var again = new AppLayerBuilder(root, request).Build(plan, null, default);
        Assert.False(built.Reused);
        Assert.True(again.Reused);
        Assert.Equal(built.BlobDigest, again.BlobDigest);
        Assert.False(Directory.Exists(Path.Combine(request.IntermediateDirectory, "csbuild-layers", "application")));

        // Rewriting a file with the same bytes (new mtime and inode, as the Web SDK does with web.config) still reuses
        // the layer, found by content; new bytes build a new layer.
        File.Copy(Path.Combine(publish, "App.dll"), Path.Combine(publish, "App.dll.new"));
        File.Move(Path.Combine(publish, "App.dll.new"), Path.Combine(publish, "App.dll"), overwrite: true);
        File.SetLastWriteTimeUtc(Path.Combine(publish, "App.dll"), DateTime.UtcNow.AddMinutes(1));
        var rewritten = new AppLayerBuilder(root, request).Build(plan, null, default);
        Assert.True(rewritten.Reused);
        Assert.Equal(built.BlobDigest, rewritten.BlobDigest);

        File.WriteAllText(Path.Combine(publish, "App.dll"), "app v2");
        var changed = new AppLayerBuilder(root, request).Build(plan, null, default);
        Assert.False(changed.Reused);
        Assert.NotEqual(built.BlobDigest, changed.BlobDigest);
    }

    [Fact]
    public void ABlobMadeBeforeTheBaseIsKnown_IsStackedOnEachBase_AndReusedOnANewOne()
    {
        using var dir = new TempDirectory();
        var publish = WritePublishOutput(dir, "publish");
        var request = Request(publish, dir.Combine("obj"), dir.Combine("root"));
        using var root = CsbuildRoot.Open(request.CsbuildRoot);
        var plan = LayerPlanner.Plan(publish, KnownFiles, ContainerLayering.Dependencies)[2];
        var builder = new AppLayerBuilder(root, request);
        var baseA = "sha256:" + new string('a', 64);
        var baseB = "sha256:" + new string('b', 64);

        var made = builder.MakeBlob(plan, default);
        var onA = builder.Stack(made, baseA);
        var found = builder.MakeBlob(plan, default); // the base changed meanwhile: same files, same blob
        var onB = builder.Stack(found, baseB);

        Assert.False(made.Reused);
        Assert.True(found.Reused);
        Assert.Equal(onA.BlobDigest, onB.BlobDigest);
        Assert.NotEqual(onA.ChainId, onB.ChainId);
        Assert.Equal(baseA, root.Database.GetLayer(onA.ChainId)!.ParentChainId);
        Assert.Equal(baseB, root.Database.GetLayer(onB.ChainId)!.ParentChainId);
        Assert.Equal(onB.ChainId, builder.Build(plan, baseB, default).ChainId);
    }

    [Fact]
    public void Entries_AreUnderTheWorkingDirectory_WithOwnerModeAndEpochApplied()
    {
        using var dir = new TempDirectory();
        var publish = WritePublishOutput(dir, "publish");
        var epoch = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000);
        var request = Request(publish, dir.Combine("obj"), dir.Combine("root"), r => r with
        {
            WorkingDirectory = "/srv/app/", FileOwner = (1654, 1655), FileMode = 0b110_100_000, SourceDateEpoch = epoch,
        });
        using var root = CsbuildRoot.Open(request.CsbuildRoot);
        var plan = LayerPlanner.Plan(publish, KnownFiles, ContainerLayering.Dependencies)[2];
        var layer = new AppLayerBuilder(root, request).Build(plan, null, default);

        var entries = new Dictionary<string, TarEntry>();
        using (var gzip = new GZipStream(root.Content.OpenRead(layer.BlobDigest), CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
            while (tar.GetNextEntry() is { } entry) entries[entry.Name.TrimEnd('/')] = entry;

        Assert.Equal(["srv", "srv/app", "srv/app/App.deps.json", "srv/app/App.dll", "srv/app/wwwroot"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.All(entries.Values, e => Assert.Equal((1654, 1655), (e.Uid, e.Gid)));
        Assert.All(entries.Values, e => Assert.True(e.ModificationTime <= epoch));
        Assert.Equal((UnixFileMode)0b110_100_000, entries["srv/app/App.deps.json"].Mode);
        Assert.Equal((UnixFileMode)0b111_101_000, entries["srv/app/App.dll"].Mode); // executable stays executable
        Assert.Equal((UnixFileMode)0b111_101_101, entries["srv/app"].Mode);
        // The publish output itself was not changed by the mode control (the layer copied, did not link).
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(publish, "App.dll")));
    }
}
