using System.Text.Json.Nodes;
using Csbuild.TestSupport;
using Microsoft.Data.Sqlite;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// Layers of stages the exported image does not contain get no blob when they are made (only their snapshot and
/// digest); one is written from the snapshot when an export needs it, and must hash to the digest it was made with.
/// </summary>
[Collection("busybox")]
public sealed class LayerBlobTests(BusyboxStoreFixture busybox)
{
    private const string Dockerfile = """
        FROM busybox:latest AS builder
        RUN echo built-in-the-builder > /artifact && head -c 100000 /dev/urandom > /noise

        FROM busybox:latest
        COPY --from=builder /artifact /artifact
        """;

    [Fact]
    public void ABuilderStagesLayer_HasNoBlob_UntilAnImageNeedsIt_ThenItIsWrittenFromItsSnapshot()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", Dockerfile);
        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "final:1", dir.Combine("ctx")));

        var builderLayer = Layer(root, "RUN echo built-in-the-builder");
        Assert.Null(builderLayer.Blob);
        Assert.False(File.Exists(BlobPath(root, builderLayer.DiffId)));
        Assert.NotNull(Layer(root, "COPY --from=builder").Blob); // the exported image's own layer has its blob

        // An image made of the builder stage needs the layer's bytes: they are written now, as the tar it hashed to.
        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "--target", "builder", "-t", "builder:1", dir.Combine("ctx")));
        Assert.Equal(builderLayer.DiffId, Layer(root, "RUN echo built-in-the-builder").Blob);
        Assert.True(File.Exists(BlobPath(root, builderLayer.DiffId)));
        var bundle = dir.Combine("bundle");
        Ok(ProcessRunner.Run("umoci", "unpack", "--image", $"{root}:builder:1", bundle));
        Assert.Equal("built-in-the-builder\n", File.ReadAllText(Path.Combine(bundle, "rootfs", "artifact")));
        var manifest = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci:{root}:builder:1")).Stdout)!;
        Assert.Equal(builderLayer.DiffId, manifest["layers"]![1]!["digest"]!.GetValue<string>());
    }

    [Fact]
    public void ASnapshotChangedOnDisk_IsNotExportedAsTheLayer()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", Dockerfile);
        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "final:1", dir.Combine("ctx")));
        var snapshot = Strings(root, "SELECT snapshot FROM layers WHERE blob_digest IS NULL").Single();
        File.AppendAllText(Path.Combine(root, "snapshots", snapshot, "fs", "artifact"), "tampered");

        var export = CsbuildProgram.Run(root, "build", "--progress=plain", "--target", "builder", "-t", "builder:1", dir.Combine("ctx"));
        Assert.Equal(1, export.ExitCode);
        Assert.Contains("changed on disk", export.Stderr.Split('\n').Single(l => l.StartsWith("error:", StringComparison.Ordinal)));
    }

    private static ProcessResult Ok(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static string BlobPath(string root, string digest) => Path.Combine(root, "blobs", "sha256", digest["sha256:".Length..]);

    /// <summary>The layer a step made (through its cache record): its diff_id and blob digest (null when it has no blob).</summary>
    private static (string DiffId, string? Blob) Layer(string root, string step)
    {
        using var db = Open(root);
        using var query = db.CreateCommand();
        query.CommandText = """
            SELECT l.diff_id, l.blob_digest FROM cache_records r JOIN layers l ON l.chain_id = r.chain_id
            WHERE r.description LIKE $step AND r.chain_id IS NOT r.base_chain_id LIMIT 1
            """;
        query.Parameters.AddWithValue("$step", "%" + step + "%");
        using var reader = query.ExecuteReader();
        Assert.True(reader.Read(), $"no layer made by '{step}'");
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private static List<string> Strings(string root, string sql)
    {
        using var db = Open(root);
        using var query = db.CreateCommand();
        query.CommandText = sql;
        using var reader = query.ExecuteReader();
        var values = new List<string>();
        while (reader.Read()) values.Add(reader.GetString(0));
        return values;
    }

    private static SqliteConnection Open(string root)
    {
        var db = new SqliteConnection($"Data Source={Path.Combine(root, "cache.db")};Pooling=False");
        db.Open();
        return db;
    }
}
