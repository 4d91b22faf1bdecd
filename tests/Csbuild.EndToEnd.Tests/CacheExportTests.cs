using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// --cache-to / --cache-from between two roots that stand for two CI runners, through a real registry on loopback
/// and through a directory: runner B, with an empty cache and its own copy of the sources at another path, gets
/// every step as a hit and downloads only the layers its image needs.
/// </summary>
[Collection("busybox")]
public sealed partial class CacheExportTests(BusyboxStoreFixture busybox, CacheExportTests.Registry registry) : IClassFixture<CacheExportTests.Registry>
{
    public sealed class Registry : RegistryFixture;

    private const string TwoStages = """
        FROM busybox:latest AS builder
        COPY src/ /src/
        RUN cat /src/*.txt > /bundle && echo built >> /bundle
        FROM busybox:latest
        COPY --from=builder /bundle /app/bundle
        COPY config.txt /app/config.txt
        RUN wc -c /app/bundle > /app/size
        """;

    private static string WriteContext(TempDirectory dir, string name, string version = "v1")
    {
        dir.Write($"{name}/Dockerfile", TwoStages);
        dir.Write($"{name}/src/a.txt", "alpha " + version);
        dir.Write($"{name}/src/b.txt", "beta");
        dir.Write($"{name}/config.txt", "config");
        return dir.Combine(name);
    }

    private static (PlainProgress Progress, string Stderr, string ImageId) Build(string root, string context, params string[] extra)
    {
        var iid = Path.Combine(Path.GetTempPath(), $"iid-{Guid.NewGuid():N}");
        try
        {
            var result = CsbuildProgram.Run(root, ["build", "--progress=plain", "--iidfile", iid, .. extra, context]);
            Assert.True(result.ExitCode == 0, result.ToString());
            return (new PlainProgress(result.Stderr), result.Stderr, File.Exists(iid) ? File.ReadAllText(iid) : "");
        }
        finally
        {
            File.Delete(iid);
        }
    }

    private static string Config(string root, string image)
    {
        var config = CsbuildProgram.Run(root, "inspect", "--config", image);
        Assert.True(config.ExitCode == 0, config.ToString());
        return config.Stdout;
    }

    /// <summary>Pushes and returns the digest of the manifest as the registry now has it (`push` prints it last).</summary>
    private static string PushedDigest(string root, string image, string destination)
    {
        var push = CsbuildProgram.Run(root, "push", image, destination);
        Assert.True(push.ExitCode == 0, push.ToString());
        var inspect = ProcessRunner.Run("skopeo", "inspect", "--tls-verify=false", "docker://" + destination);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        return System.Text.Json.Nodes.JsonNode.Parse(inspect.Stdout)!["Digest"]!.GetValue<string>();
    }

    [Fact]
    public void RegistryModeMax_AnEmptyRunnerHitsEveryStep_AndDownloadsOnlyTheFinalImagesLayers()
    {
        using var dir = new TempDirectory();
        var rootA = NewEmptyRunner(dir, "runner-a");
        var cacheRef = registry.Reference("e2e/cache:max");
        var a = Build(rootA, WriteContext(dir, "ctx-a"), "-t", "app:1", $"--cache-to=type=registry,ref={cacheRef},mode=max");
        Assert.Equal(5, a.Progress.StepsWith("DONE").Count());
        Assert.Contains("exporting cache to registry", a.Stderr);

        var builderLayer = TopLayerOfBuilderStage(rootA, dir.Combine("ctx-a"));
        var rootB = NewEmptyRunner(dir, "runner-b");
        var logBefore = registry.RecentLog.Length;
        var b = Build(rootB, WriteContext(dir, "ctx-b"), "-t", "app:1", $"--cache-from=type=registry,ref={cacheRef}");
        Assert.True(!b.Progress.StepsWith("DONE").Any(), b.Stderr);
        var fetched = BlobGets(registry.RecentLog[logBefore..], "e2e/cache");
        Assert.DoesNotContain(builderLayer, fetched);      // the builder stage's layer: a hit nobody reads
        Assert.Equal(4, fetched.Count);                      // the final image's three new layers and the cache config
        // Same keys on both runners, and the records' times travel with them: the same image. Runner A keeps the layers
        // it built uncompressed and B has the cache's gzip copies of them, so the stores' manifests differ; the config
        // (diff_ids, history, times) does not, and pushed they are one and the same manifest.
        Assert.NotEqual(a.ImageId, b.ImageId);
        Assert.Equal(Config(rootA, "app:1"), Config(rootB, "app:1"));
        Assert.Equal(PushedDigest(rootA, "app:1", registry.Reference("e2e/same:a")), PushedDigest(rootB, "app:1", registry.Reference("e2e/same:b")));

        // After a source change, runner B re-runs exactly what depends on it.
        File.WriteAllText(dir.Combine("ctx-b/src/a.txt"), "alpha v2");
        var changed = Build(rootB, dir.Combine("ctx-b"), "-t", "app:2", $"--cache-from=type=registry,ref={cacheRef}");
        Assert.Equal("DONE", changed.Progress.OutcomeOf("COPY src/"));
        Assert.Equal("DONE", changed.Progress.OutcomeOf("RUN cat /src"));
        Assert.Equal("DONE", changed.Progress.OutcomeOf("COPY --from=builder"));
        Assert.Equal("DONE", changed.Progress.OutcomeOf("RUN wc"));

        // Exporting again with nothing changed uploads no blob.
        var uploadsBefore = BlobUploads("e2e/cache");
        var again = Build(rootA, dir.Combine("ctx-a"), "-t", "app:1", $"--cache-to=type=registry,ref={cacheRef},mode=max");
        Assert.Empty(again.Progress.StepsWith("DONE"));
        Assert.Contains(" 0 blobs written", again.Stderr);
        Assert.Equal(uploadsBefore, BlobUploads("e2e/cache"));
    }

    [Fact]
    public void LocalDirectory_ModeMinHoldsTheFinalStage_ModeMaxEveryStage_AndBothSeedAnEmptyRunner()
    {
        using var dir = new TempDirectory();
        var rootA = NewEmptyRunner(dir, "runner-a");
        var min = dir.Combine("cache-min");
        var max = dir.Combine("cache-max");
        var zstd = dir.Combine("cache-zstd");
        Build(rootA, WriteContext(dir, "ctx-a"), "-t", "app:1", $"--cache-to=type=local,dest={min}", $"--cache-to=type=local,dest={max},mode=max",
            $"--cache-to=type=local,dest={zstd},mode=max,compression=zstd");
        Assert.All(ManifestOf(zstd)["layers"]!.AsArray(), l => Assert.Equal("application/vnd.oci.image.layer.v1.tar+zstd", (string)l!["mediaType"]!));

        Assert.Equal(5, CacheConfigOf(max)["records"]!.AsArray().Count); // every step of both stages…
        Assert.Equal(3, CacheConfigOf(min)["records"]!.AsArray().Count); // …or only the final stage's
        // The directory is an OCI layout other tools read.
        var skopeo = ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci:{max}:latest");
        Assert.True(skopeo.ExitCode == 0, skopeo.ToString());
        Assert.Contains("application/vnd.csbuild.cache.v1", skopeo.Stdout);

        foreach (var (source, name) in new[] { (min, "runner-min"), (max, "runner-max"), (zstd, "runner-zstd") })
        {
            var runner = NewEmptyRunner(dir, name);
            var built = Build(runner, WriteContext(dir, "ctx-" + name), "-t", "app:1", $"--cache-from=type=local,src={source}");
            Assert.True(!built.Progress.StepsWith("DONE").Any(), built.Stderr);
        }
    }

    [Fact]
    public void MissingOrCorruptCaches_WarnAndBuildWithoutThem()
    {
        using var dir = new TempDirectory();
        var root = NewEmptyRunner(dir, "runner-a");
        var context = WriteContext(dir, "ctx");
        var corrupt = dir.Combine("corrupt");
        Build(root, context, $"--cache-to=type=local,dest={corrupt}");
        var config = (string)ManifestOf(corrupt)["config"]!["digest"]!;
        File.WriteAllText(Path.Combine(corrupt, "blobs", "sha256", config["sha256:".Length..]), "{ not json");

        var runner = NewEmptyRunner(dir, "runner");
        var built = Build(runner, context, "--cache-from", registry.Reference("e2e/never-pushed:cache"),
            $"--cache-from=type=local,src={corrupt}", $"--cache-from=type=local,src={dir.Combine("no-such-dir")}");
        Assert.Equal(5, built.Progress.StepsWith("DONE").Count());
        Assert.Matches(@"warning: cache import from registry \S+e2e/never-pushed:cache: not found; building without it", built.Stderr);
        Assert.Matches(@"warning: cache import from directory \S+corrupt failed: .*; building without it", built.Stderr);
        Assert.Contains("no-such-dir: not found; building without it", built.Stderr);
    }

    [Fact]
    public void InlineCache_ThePushedImageSeedsAnotherRunner()
    {
        using var dir = new TempDirectory();
        var rootA = NewEmptyRunner(dir, "runner-a");
        var image = registry.Reference("e2e/inline:1");
        Build(rootA, WriteContext(dir, "ctx-a"), "-t", image, "--push", "--cache-to=type=inline");
        var inspect = ProcessRunner.Run("skopeo", "inspect", "--tls-verify=false", "--config", "--raw", "docker://" + image);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.NotNull(JsonNode.Parse(inspect.Stdout)!["csbuild.cache.v1"]);

        var runner = NewEmptyRunner(dir, "runner");
        var built = Build(runner, WriteContext(dir, "ctx-b"), "--cache-from", image);
        Assert.Equal("CACHED", built.Progress.OutcomeOf("RUN wc"));
        Assert.Equal("CACHED", built.Progress.OutcomeOf("COPY config.txt"));
    }

    [Fact]
    public void CacheMounts_AreExportedAndRestoredBeforeTheFirstRunThatUsesThem()
    {
        using var dir = new TempDirectory();
        var rootA = NewEmptyRunner(dir, "runner-a");
        dir.Write("fill/Dockerfile", """
            FROM busybox:latest
            RUN --mount=type=cache,id=packages,target=/var/cache/pkgs sh -c 'echo downloaded-once > /var/cache/pkgs/index'
            """);
        var cache = dir.Combine("cache");
        Build(rootA, dir.Combine("fill"), $"--cache-to=type=local,dest={cache},mode=max,cache-mounts=true");

        dir.Write("use/Dockerfile", """
            FROM busybox:latest
            RUN --mount=type=cache,id=packages,target=/c cat /c/index > /seen
            """);
        var runner = NewEmptyRunner(dir, "runner");
        var output = dir.Combine("out");
        Build(runner, dir.Combine("use"), $"--cache-from=type=local,src={cache}", "-o", $"type=local,dest={output}");
        Assert.Equal("downloaded-once\n", File.ReadAllText(Path.Combine(output, "seen")));
    }

    /// <summary>
    /// A runner: an empty cache, with only the base image, imported with a fixed time so that every runner has the
    /// same base image digest, as runners pulling it from a registry do.
    /// </summary>
    private string NewEmptyRunner(TempDirectory dir, string name)
    {
        var root = dir.Combine(name);
        var result = CsbuildProgram.Run(root, new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = "1700000000" },
            "import", busybox.RootfsTarball, "busybox:latest");
        Assert.True(result.ExitCode == 0, result.ToString());
        return root;
    }

    /// <summary>The digest of the layer the builder stage's RUN made: the top layer of an image of that stage (all cached).</summary>
    private static string TopLayerOfBuilderStage(string root, string context)
    {
        var result = CsbuildProgram.Run(root, "build", "--target", "builder", "-t", "builder:1", context);
        Assert.True(result.ExitCode == 0, result.ToString());
        var manifest = CsbuildProgram.Run(root, "inspect", "--raw", "builder:1");
        Assert.True(manifest.ExitCode == 0, manifest.ToString());
        return (string)JsonNode.Parse(manifest.Stdout)!["layers"]!.AsArray()[^1]!["digest"]!;
    }

    private static List<string> BlobGets(string log, string repository) =>
        Regex.Matches(log, $"\"GET /v2/{Regex.Escape(repository)}/blobs/(sha256:[0-9a-f]{{64}})[^\"]*\" 200").Select(m => m.Groups[1].Value).ToList();

    private int BlobUploads(string repository) =>
        Regex.Matches(registry.RecentLog, $"\"PUT /v2/{Regex.Escape(repository)}/blobs/uploads/[^\"]*\" 201").Count;

    private static JsonNode ManifestOf(string layout)
    {
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "index.json")))!;
        var digest = (string)index["manifests"]![0]!["digest"]!;
        return JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..])))!;
    }

    private static JsonNode CacheConfigOf(string layout)
    {
        var digest = (string)ManifestOf(layout)["config"]!["digest"]!;
        return JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..])))!;
    }
}
