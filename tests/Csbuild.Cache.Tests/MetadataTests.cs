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
