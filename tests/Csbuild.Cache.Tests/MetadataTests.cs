using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;
using Csbuild.TestSupport;

namespace Csbuild.Cache.Tests;

public sealed class MetadataTests
{
    [Fact]
    public void ChainIds_FollowContainerd()
    {
        var a = Digest.Of("layer a");
        var b = Digest.Of("layer b");
        Assert.Equal(a.ToString(), LayerRecord.ComputeChainId(null, a));
        Assert.Equal(Digest.Of(a + " " + b).ToString(), LayerRecord.ComputeChainId(a.ToString(), b));
    }

    [Fact]
    public void GetChain_ReturnsLayersBottomUp_AndRecordsTellWhetherALayerWasAdded()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var bottom = LayerRecord.ComputeChainId(null, Digest.Of("1"));
        var top = LayerRecord.ComputeChainId(bottom, Digest.Of("2"));
        root.Database.AddLayer(new LayerRecord(bottom, null, Digest.Of("1"), null, null, null, "s1", 10));
        root.Database.AddLayer(new LayerRecord(top, bottom, Digest.Of("2"), null, null, null, "s2", 20));
        Assert.Equal(new[] { bottom, top }, root.Database.GetChain(top).Select(l => l.ChainId));

        root.Database.PutRecord("k1", top, bottom, "RUN x");
        root.Database.PutRecord("k2", top, top, "WORKDIR /exists");
        Assert.True(root.Database.FindRecord("k1")!.AddedLayer);
        Assert.False(root.Database.FindRecord("k2")!.AddedLayer);
        Assert.Null(root.Database.FindRecord("missing"));
    }

    [Fact]
    public void Conversions_RecordWhetherTheirBytesAreKept_AndAStoredCopyIsNotForgotten()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var source = Digest.Of("tar");
        var gzip = Digest.Of("gz");
        root.Database.PutConversion(new BlobConversion(source, "gzip", -1, gzip, 10, MediaTypes.OciLayerGzip, Stored: false));
        Assert.False(root.Database.FindConversion(source, "gzip", -1)!.Stored);
        root.Database.PutConversion(new BlobConversion(source, "gzip", -1, gzip, 10, MediaTypes.OciLayerGzip, Stored: true));
        Assert.True(root.Database.FindConversion(source, "gzip", -1)!.Stored);
        // Pushing the same layer again (digest only) does not make the kept copy look absent.
        root.Database.PutConversion(new BlobConversion(source, "gzip", -1, gzip, 10, MediaTypes.OciLayerGzip, Stored: false));
        Assert.True(root.Database.FindConversion(source, "gzip", -1)!.Stored);
    }

    [Fact]
    public void AConversionsTable_FromBeforeDigestOnlyRecords_GainsTheColumn_WithItsRowsStored()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("root");
        using (var root = CsbuildRoot.Open(path)) { }
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(path, "cache.db")};Pooling=False"))
        {
            db.Open();
            using var create = db.CreateCommand();
            create.CommandText = """
                CREATE TABLE blob_conversions(source_digest TEXT NOT NULL, compression TEXT NOT NULL, level INTEGER NOT NULL,
                  target_digest TEXT NOT NULL, target_size INTEGER NOT NULL, media_type TEXT NOT NULL, created_at INTEGER NOT NULL,
                  PRIMARY KEY(source_digest, compression, level));
                """ + $"INSERT INTO blob_conversions VALUES('{Digest.Of("old tar")}', 'gzip', -1, '{Digest.Of("old gz")}', 5, '{MediaTypes.OciLayerGzip}', 0);";
            create.ExecuteNonQuery();
        }
        using (var root = CsbuildRoot.Open(path))
        {
            var old = root.Database.FindConversion(Digest.Of("old tar"), "gzip", -1);
            Assert.NotNull(old);
            Assert.True(old.Stored);
        }
    }

    [Fact]
    public void AddLayer_KeepsTheFirstSnapshot_WhenTwoWritersRace()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var id = LayerRecord.ComputeChainId(null, Digest.Of("x"));
        var first = root.Database.AddLayer(new LayerRecord(id, null, Digest.Of("x"), null, null, null, "first", 1));
        var second = root.Database.AddLayer(new LayerRecord(id, null, Digest.Of("x"), Digest.Of("blob"), 5, MediaTypes.OciLayerGzip, "second", 1));
        Assert.Equal("first", first.Snapshot);
        Assert.Equal("first", second.Snapshot);
        Assert.Equal(Digest.Of("blob"), second.BlobDigest); // missing facts are filled in
    }

    [Fact]
    public void TwoConnections_WriteConcurrently_WithoutLockErrors()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("cache.db");
        using var a = new CacheDatabase(path);
        using var b = new CacheDatabase(path);
        Parallel.For(0, 400, i => (i % 2 == 0 ? a : b).PutRecord($"key{i}", null, null, "step"));
        Assert.Equal(400, a.CountRecords());
    }
}
