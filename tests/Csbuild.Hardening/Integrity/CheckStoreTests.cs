using Csbuild.Hardening.Support;
using Csbuild.TestSupport;

namespace Csbuild.Hardening.Integrity;

/// <summary>
/// Issue 11, item 6: <c>csbuild check-store [--repair]</c> finds a corrupt blob, a deleted snapshot and an orphan
/// record, exits 1 while problems remain, and its repair drops broken records without deleting referenced data.
/// </summary>
[Collection("csbuild")]
public sealed class CheckStoreTests(BusyboxBase busybox)
{
    private const string Dockerfile = "FROM busybox:latest\nRUN echo layer-one > /one\nRUN echo layer-two > /two\n";

    [Fact]
    public void AHealthyRoot_PassesWithASummary()
    {
        using var dir = new TempDirectory("csbuild-check");
        var root = BuildImage(dir);
        var check = CsbuildProgram.Run(root, "check-store");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Equal("", check.Stdout);
        Assert.Matches(@"checked \d+ blobs \(\d+ bytes\), \d+ layers, \d+ cache records, 2 images: 0 problems", check.Stderr);
    }

    [Fact]
    public void ACorruptBlob_IsReported_ThenQuarantined_AndTheRootRebuildsIt()
    {
        using var dir = new TempDirectory("csbuild-check");
        var root = BuildImage(dir);
        var layer = TopLayerBlob(root);
        var before = RootInspector.Blobs(root);
        var path = Path.Combine(root, "blobs", "sha256", layer);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        var check = CsbuildProgram.Run(root, "check-store");
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"corrupt blob sha256:{layer}: content", check.Stdout);
        Assert.Matches($@"(?m)^broken image \S*checked:1: layer blob sha256:{layer} is missing or corrupt$", check.Stdout);
        Assert.All(check.Stdout.TrimEnd('\n').Split('\n'), line => Assert.DoesNotContain("repaired", line));

        var repair = CsbuildProgram.Run(root, "check-store", "--repair");
        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Contains("(repaired: moved to " + Path.Combine(root, "quarantine", layer) + ")", repair.Stdout);
        Assert.Contains("(repaired: tag removed", repair.Stdout);
        Assert.True(File.Exists(Path.Combine(root, "quarantine", layer)), "the corrupt bytes are kept aside, not destroyed");
        var after = RootInspector.Blobs(root);
        Assert.Equal(before.Keys.Where(k => k != layer).Order(), after.Keys.Order()); // nothing else deleted

        var again = CsbuildProgram.Run(root, "check-store");
        Assert.True(again.ExitCode == 0, again.ToString());
        var rebuild = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "checked:1", dir.Combine("ctx"));
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        Assert.Contains("RUN echo layer-two", rebuild.Stderr);
        Assert.True(File.Exists(Path.Combine(root, "blobs", "sha256", TopLayerBlob(root))), "the rebuilt step stored its layer again");
        Assert.Equal(0, CsbuildProgram.Run(root, "check-store").ExitCode);
    }

    [Fact]
    public void ADeletedSnapshot_IsReported_AndRepairedFromItsBlob()
    {
        using var dir = new TempDirectory("csbuild-check");
        var root = BuildImage(dir);
        var snapshot = RootInspector.Strings(root, "SELECT snapshot FROM layers WHERE snapshot IS NOT NULL AND blob_digest IS NOT NULL AND parent_chain_id IS NOT NULL LIMIT 1").Single();
        Directory.Delete(Path.Combine(root, "snapshots", snapshot), recursive: true);
        var before = RootInspector.Blobs(root);

        var check = CsbuildProgram.Run(root, "check-store");
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"missing snapshot ", check.Stdout);
        Assert.Contains($"snapshots/{snapshot}/fs is gone", check.Stdout);

        var repair = CsbuildProgram.Run(root, "check-store", "--repair");
        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Contains("(repaired: will be unpacked again from its blob)", repair.Stdout);
        Assert.Equal(before, RootInspector.Blobs(root));
        Assert.Equal(0, CsbuildProgram.Run(root, "check-store").ExitCode);

        // The layer is used again: unpacked from its blob under a new snapshot, the build is a cache hit.
        dir.Write("ctx/Dockerfile", Dockerfile + "RUN cat /one /two > /both\n");
        var build = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "checked:2", dir.Combine("ctx"));
        Assert.True(build.ExitCode == 0, build.ToString());
    }

    [Fact]
    public void AnOrphanRecordAndALayerWithoutParent_AreDropped_AndNothingElse()
    {
        using var dir = new TempDirectory("csbuild-check");
        var root = BuildImage(dir);
        var records = RootInspector.Strings(root, "SELECT key FROM cache_records ORDER BY key");
        var layers = RootInspector.Strings(root, "SELECT chain_id FROM layers ORDER BY chain_id");
        RootInspector.Execute(root, """
            INSERT INTO cache_records(key, chain_id, base_chain_id, description, created_at, last_used)
              VALUES('sha256:0000000000000000000000000000000000000000000000000000000000000001', 'sha256:00000000000000000000000000000000000000000000000000000000000000aa', NULL, 'orphan made by the test', 0, 0);
            INSERT INTO layers(chain_id, parent_chain_id, diff_id, blob_digest, blob_size, media_type, snapshot, size, created_at, last_used)
              VALUES('sha256:00000000000000000000000000000000000000000000000000000000000000bb', 'sha256:00000000000000000000000000000000000000000000000000000000000000cc',
                     'sha256:00000000000000000000000000000000000000000000000000000000000000dd', NULL, NULL, NULL, NULL, 0, 0, 0);
            """);
        var blobs = RootInspector.Blobs(root);

        var check = CsbuildProgram.Run(root, "check-store");
        Assert.Equal(1, check.ExitCode);
        var lines = check.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("orphan cache record sha256:0000000000000000000000000000000000000000000000000000000000000001: points at layer sha256:00000000000000000000000000000000000000000000000000000000000000aa", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("missing parent layer sha256:00000000000000000000000000000000000000000000000000000000000000bb", StringComparison.Ordinal));

        var repair = CsbuildProgram.Run(root, "check-store", "--repair");
        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Equal(records, RootInspector.Strings(root, "SELECT key FROM cache_records ORDER BY key"));
        Assert.Equal(layers, RootInspector.Strings(root, "SELECT chain_id FROM layers ORDER BY chain_id"));
        Assert.Equal(blobs, RootInspector.Blobs(root));
        var again = CsbuildProgram.Run(root, "check-store");
        Assert.True(again.ExitCode == 0, again.ToString());
    }

    private string BuildImage(TempDirectory dir)
    {
        var root = busybox.NewRoot(dir);
        dir.Write("ctx/Dockerfile", Dockerfile);
        var build = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "checked:1", dir.Combine("ctx"));
        Assert.True(build.ExitCode == 0, build.ToString());
        return root;
    }

    /// <summary>The blob (hex) of the image's last layer, the second RUN step's.</summary>
    private static string TopLayerBlob(string root)
    {
        var inspect = ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci:{root}:checked:1");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        var layers = System.Text.Json.Nodes.JsonNode.Parse(inspect.Stdout)!["layers"]!.AsArray();
        return layers[^1]!["digest"]!.GetValue<string>()["sha256:".Length..];
    }
}
