using System.Text;
using Csbuild.Cache.Metadata;
using Csbuild.Cache.Remote;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Tests;

public sealed class CacheConfigTests
{
    private static readonly Digest Base = Digest.Of("base layer");
    private static readonly Digest Copy = Digest.Of("copy layer");
    private static readonly Digest Run = Digest.Of("run layer");

    private static ExportLayer Layer(Digest diffId) =>
        new(diffId, new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Of("blob of " + diffId).ToString(), Size = 10 });

    private static readonly DateTimeOffset Time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void SharedChains_AreStoredOnce_AndRecordsPointAtTheirTopAndBase()
    {
        var copyKey = Digest.Of("copy step").ToString();
        var runKey = Digest.Of("run step").ToString();
        var noopKey = Digest.Of("noop step").ToString();
        var records = new[]
        {
            new ExportRecord(runKey, [Layer(Base), Layer(Copy), Layer(Run)], 2, Time),
            new ExportRecord(copyKey, [Layer(Base), Layer(Copy)], 1, Time),
            new ExportRecord(noopKey, [Layer(Base)], 1, Time), // ran without adding a layer
        };
        var (config, blobs) = CacheExporter.BuildConfig(records, []);

        Assert.Equal(3, config.Layers.Count);
        Assert.Equal(3, blobs.Count);
        var run = config.Records.Single(r => r.Key == runKey);
        var copy = config.Records.Single(r => r.Key == copyKey);
        var noop = config.Records.Single(r => r.Key == noopKey);
        Assert.Equal(copy.Layer, run.Base);
        Assert.Equal(noop.Layer, noop.Base);
        Assert.Equal(Run.ToString(), config.Layers[run.Layer!.Value].DiffId);
        Assert.Equal(run.Base, config.Layers[run.Layer!.Value].Parent);
    }

    [Fact]
    public void LoadedChains_HaveTheChainIdsTheLocalStoreComputes()
    {
        var key = Digest.Of("run step").ToString();
        var (config, _) = CacheExporter.BuildConfig([new ExportRecord(key, [Layer(Base), Layer(Copy), Layer(Run)], 2, Time)], []);
        var roundTripped = CacheFormat.Deserialize(CacheFormat.Serialize(config));
        var imported = new ImportedCache([new LoadedCache(new LocalCacheStore("/nonexistent", "latest"), roundTripped)]);

        var expected = LayerRecord.ComputeChainId(LayerRecord.ComputeChainId(LayerRecord.ComputeChainId(null, Base), Copy), Run);
        var record = imported.RecordOf(key)!;
        Assert.Equal(expected, record.ChainId);
        Assert.Equal(LayerRecord.ComputeChainId(LayerRecord.ComputeChainId(null, Base), Copy), record.BaseChainId);
        Assert.Equal(Time, record.Created);
        Assert.Null(imported.RecordOf(Digest.Of("other").ToString()));
    }

    [Fact]
    public void AKeyMissingFromOneImportedCache_FallsThroughToTheNext()
    {
        var onlyInSecond = Digest.Of("builder step").ToString();
        var inBoth = Digest.Of("final step").ToString();
        var (first, _) = CacheExporter.BuildConfig([new ExportRecord(inBoth, [Layer(Base), Layer(Run)], 1, Time)], []);
        var (second, _) = CacheExporter.BuildConfig(
            [new ExportRecord(inBoth, [Layer(Base), Layer(Copy)], 1, Time), new ExportRecord(onlyInSecond, [Layer(Base), Layer(Copy)], 1, Time.AddHours(1))], []);
        var firstCache = new LoadedCache(new LocalCacheStore("/nonexistent/first", "latest"), first);
        var secondCache = new LoadedCache(new LocalCacheStore("/nonexistent/second", "latest"), second);
        var imported = new ImportedCache([firstCache, secondCache]);

        Assert.Same(firstCache, imported.Find(inBoth)!.Source);   // the first source that has a key answers it
        Assert.Same(secondCache, imported.Find(onlyInSecond)!.Source);
        Assert.Equal(Time.AddHours(1), imported.RecordOf(onlyInSecond)!.Created);
    }

    [Theory]
    [InlineData("""{"version":2,"layers":[],"records":[]}""", "version 2 is not supported")]
    [InlineData("""{"version":1,"layers":[{"blob":{"mediaType":"m","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"diffID":"sha256:0000000000000000000000000000000000000000000000000000000000000000","parent":0}],"records":[]}""", "parents must come earlier")]
    [InlineData("""{"version":1,"layers":[],"records":[{"key":"sha256:0000000000000000000000000000000000000000000000000000000000000000","layer":3}]}""", "points at a layer that is not in the config")]
    [InlineData("""{"version":1,"layers":[],"records":[{"key":"not-a-digest"}]}""", "is not a digest")]
    [InlineData("""{ not json""", "malformed cache config")]
    public void CorruptConfigs_AreRefusedWithAReason(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => CacheFormat.Deserialize(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(expected, e.Message);
    }
}
