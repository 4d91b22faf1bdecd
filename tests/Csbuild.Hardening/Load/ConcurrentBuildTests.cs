using System.Diagnostics;
using System.Text.Json.Nodes;
using Csbuild.Hardening.Support;
using Csbuild.TestSupport;
using Xunit.Abstractions;

namespace Csbuild.Hardening.Load;

/// <summary>
/// Issue 11, item 5: 16 concurrent csbuild processes on one root (8 different Dockerfiles, each built twice at
/// once) while <c>csbuild prune</c> runs over and over. All succeed with no SQLite lock error reaching the user;
/// identical inputs give identical images and share cache records and layers; afterwards every blob on disk is
/// one the metadata or an image references, with the recorded size, and check-store finds nothing wrong.
/// </summary>
[Collection("csbuild")]
public sealed class ConcurrentBuildTests(BusyboxBase busybox, ITestOutputHelper output)
{
    private const int Distinct = 8, Copies = 2;

    [Fact]
    public async Task SixteenConcurrentBuilds_AndPrune_OnOneRoot_AllSucceedAndShare()
    {
        using var dir = new TempDirectory("csbuild-load");
        var root = busybox.NewRoot(dir);
        for (int i = 0; i < Distinct; i++)
        {
            dir.Write($"ctx{i}/Dockerfile", """
                FROM busybox:latest
                RUN echo shared > /shared
                COPY own.txt /own.txt
                RUN cat /own.txt /shared > /combined
                """);
            dir.Write($"ctx{i}/own.txt", $"build {i}\n");
        }
        var env = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = "1700000000" };

        using var stopPruning = new CancellationTokenSource();
        var prunes = Task.Run(() =>
        {
            var results = new List<ProcessResult>();
            while (!stopPruning.IsCancellationRequested) results.Add(CsbuildProgram.Run(root, "prune"));
            return results;
        });
        var clock = Stopwatch.StartNew();
        var builds = await Task.WhenAll(Enumerable.Range(0, Distinct * Copies).Select(n => Task.Run(() =>
        {
            int i = n % Distinct;
            var iid = dir.Combine($"iid{n}");
            var result = CsbuildProgram.Run(root, env, "build", "--progress=plain", "-t", $"load{i}:{n / Distinct}", "--iidfile", iid, dir.Combine($"ctx{i}"));
            return (Index: i, Result: result, Digest: File.Exists(iid) ? File.ReadAllText(iid).Trim() : "");
        })));
        stopPruning.Cancel();
        var pruneResults = await prunes;
        output.WriteLine($"{builds.Length} builds and {pruneResults.Count} prunes in {clock.Elapsed}");

        foreach (var (i, result, _) in builds)
        {
            Assert.True(result.ExitCode == 0, $"build {i}: {result}");
            Assert.DoesNotContain("locked", result.Output, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SQLite", result.Output, StringComparison.OrdinalIgnoreCase);
        }
        foreach (var prune in pruneResults)
        {
            Assert.True(prune.ExitCode == 0, prune.ToString());
            Assert.DoesNotContain("locked", prune.Output, StringComparison.OrdinalIgnoreCase);
        }

        // Identical inputs: one image; different inputs still share the common RUN layer.
        foreach (var group in builds.GroupBy(b => b.Index)) Assert.Single(group.Select(b => b.Digest).Distinct());
        Assert.Equal(Distinct, builds.Select(b => b.Digest).Distinct().Count());
        var sharedLayers = builds.Select(b => b.Index).Distinct()
            .Select(i => LayerDigests(root, $"load{i}:0")[1]).Distinct().ToList();
        var shared = Assert.Single(sharedLayers);
        // ...recorded once in the metadata, however many processes raced to build it (prune may drop cache records
        // meanwhile, but the layers of tagged images stay).
        Assert.Single(RootInspector.Strings(root, $"SELECT chain_id FROM layers WHERE blob_digest = '{shared}'"));
        // Above busybox: the shared RUN once, then a COPY and a RUN layer per distinct context; nothing duplicated.
        Assert.Equal(1 + 2 * Distinct, int.Parse(RootInspector.Strings(root, "SELECT COUNT(*) FROM layers WHERE parent_chain_id IS NOT NULL").Single()));

        AssertBlobsMatchReferences(root);
        var check = CsbuildProgram.Run(root, "check-store");
        Assert.True(check.ExitCode == 0, check.ToString());
        Figures.Record("concurrent builds held (with prune running)", builds.Length);
    }

    private static List<string> LayerDigests(string root, string tag)
    {
        var inspect = ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci:{root}:{tag}");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        return [.. JsonNode.Parse(inspect.Stdout)!["layers"]!.AsArray().Select(l => l!["digest"]!.GetValue<string>())];
    }

    /// <summary>Every blob on disk is named by a layer row, a conversion row or a tagged image, and every layer row's blob is on disk with its recorded size.</summary>
    private static void AssertBlobsMatchReferences(string root)
    {
        var onDisk = RootInspector.Blobs(root);
        var layerBlobs = RootInspector.Strings(root, "SELECT blob_digest || ' ' || blob_size FROM layers WHERE blob_digest IS NOT NULL")
            .Select(s => s.Split(' ')).ToDictionary(p => p[0]["sha256:".Length..], p => long.Parse(p[1]));
        foreach (var (hex, size) in layerBlobs)
        {
            Assert.True(onDisk.TryGetValue(hex, out var actual), $"layer blob {hex} is missing");
            Assert.Equal(size, actual);
        }
        var referenced = new HashSet<string>(layerBlobs.Keys);
        foreach (var row in RootInspector.Strings(root, "SELECT target_digest FROM blob_conversions"))
            referenced.Add(row["sha256:".Length..]);
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "index.json")))!["manifests"]!.AsArray();
        foreach (var manifest in index)
        {
            var hex = manifest!["digest"]!.GetValue<string>()["sha256:".Length..];
            referenced.Add(hex);
            var body = JsonNode.Parse(File.ReadAllBytes(Path.Combine(root, "blobs", "sha256", hex)))!;
            referenced.Add(body["config"]!["digest"]!.GetValue<string>()["sha256:".Length..]);
            foreach (var layer in body["layers"]!.AsArray()) referenced.Add(layer!["digest"]!.GetValue<string>()["sha256:".Length..]);
        }
        var unreferenced = onDisk.Keys.Where(k => !referenced.Contains(k)).ToList();
        Assert.True(unreferenced.Count == 0, $"blobs nothing references: {string.Join(", ", unreferenced)}");
        Assert.All(referenced, hex => Assert.True(onDisk.ContainsKey(hex), $"referenced blob {hex} is missing"));
    }
}
