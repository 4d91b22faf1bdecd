using Csbuild.Cache.Gc;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Tests;

/// <summary>The collector's decisions on hand-made inventories: what goes, in which order, and what always stays.</summary>
public sealed class GcPlannerTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    // A chain of layers, each with a 100-byte blob and a 1000-byte snapshot: returns the chain ids bottom-up.
    private sealed class Builder
    {
        public List<GcLayerRow> Layers { get; } = [];
        public List<GcRecordRow> Records { get; } = [];
        public Dictionary<string, long> Blobs { get; } = [];
        public Dictionary<string, long> Snapshots { get; } = [];
        public HashSet<string> ImageChains { get; } = [];
        public HashSet<string> Leased { get; } = [];
        public HashSet<string> PinnedBlobs { get; } = [];
        public HashSet<string> OldDirectories { get; } = [];

        public string Layer(string? parent, string name, TimeSpan age)
        {
            var diff = Digest.Of("diff " + name);
            var blob = Digest.Of("blob " + name);
            var chain = LayerRecord.ComputeChainId(parent, diff);
            Layers.Add(new GcLayerRow(new LayerRecord(chain, parent, diff, blob, 100, MediaTypes.OciLayerGzip, "snap-" + name, 1000),
                (Now - age).ToUnixTimeMilliseconds()));
            Blobs[blob.ToString()] = 100;
            Snapshots["snap-" + name] = 1000;
            return chain;
        }

        public void Record(string key, string? chain, TimeSpan age) =>
            Records.Add(new GcRecordRow(key, chain, (Now - age).ToUnixTimeMilliseconds(), key));

        public GcPlan Plan(PruneOptions options) => GcPlanner.Plan(new GcInventory
        {
            Layers = Layers,
            Records = Records,
            ImageChains = ImageChains,
            LeasedChains = Leased,
            PinnedBlobs = PinnedBlobs,
            ExistingBlobs = Blobs.Keys.ToHashSet(),
            BlobSizes = Blobs,
            SnapshotSizes = Snapshots,
            OldSnapshotDirectories = OldDirectories,
            UsageBytes = Blobs.Values.Sum() + Snapshots.Values.Sum(),
            Now = Now,
        }, options);
    }

    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public void KeepStorage_EvictsLeastRecentlyUsedRecordsFirst_AndStopsWithinBudget()
    {
        var b = new Builder();
        var baseLayer = b.Layer(null, "base", Hour * 10);
        b.ImageChains.Add(baseLayer);
        var old = b.Layer(baseLayer, "old", Hour * 5);
        var mid = b.Layer(baseLayer, "mid", Hour * 3);
        var recent = b.Layer(baseLayer, "recent", Hour);
        b.Record("old", old, Hour * 5);
        b.Record("mid", mid, Hour * 3);
        b.Record("recent", recent, Hour);

        // 4 layers × 1100 bytes = 4400; a budget of 2300 needs two layers gone: the two least recently used.
        var plan = b.Plan(new PruneOptions { KeepBytes = 2300 });

        Assert.Equal(["old", "mid"], plan.Records);
        Assert.Equal([old, mid], plan.Layers.Select(l => l.ChainId));
        Assert.Equal(2200, plan.ReclaimedBytes);
        Assert.True(plan.UsageAfter <= 2300);
    }

    [Fact]
    public void EvictingARecord_FreesOnlyTheLayersNothingElseNeeds()
    {
        var b = new Builder();
        var shared = b.Layer(null, "shared", Hour * 4);
        var onlyA = b.Layer(shared, "a", Hour * 4);
        var onlyB = b.Layer(shared, "b", Hour);
        b.Record("a", onlyA, Hour * 4);
        b.Record("b", onlyB, Hour);

        var plan = b.Plan(new PruneOptions { KeepBytes = 2200 });

        Assert.Equal(["a"], plan.Records);
        Assert.Equal([onlyA], plan.Layers.Select(l => l.ChainId)); // "shared" is still under "b"
    }

    [Fact]
    public void PruneWithoutBudget_RemovesAllCache_ButKeepsImageLayersAndLeasedChains()
    {
        var b = new Builder();
        var imageBase = b.Layer(null, "image", Hour * 10);
        b.ImageChains.Add(imageBase);
        var built = b.Layer(imageBase, "built", Hour * 2);
        var inUse = b.Layer(imageBase, "in-use", Hour * 2);
        b.Leased.Add(inUse);
        b.Record("built", built, Hour * 2);
        b.Record("in-use", inUse, Hour * 2);

        var plan = b.Plan(new PruneOptions());

        Assert.Equal(["built"], plan.Records); // a running build's record stays
        Assert.Equal([built], plan.Layers.Select(l => l.ChainId));
        Assert.Contains("snap-built", plan.SnapshotDirectories);
        Assert.DoesNotContain("snap-image", plan.SnapshotDirectories);
        Assert.DoesNotContain("snap-in-use", plan.SnapshotDirectories);
        Assert.Empty(plan.DroppedSnapshots);
    }

    [Fact]
    public void All_AlsoDropsUnpackedImageSnapshots_ButNotThoseARunningBuildUses()
    {
        var b = new Builder();
        var imageA = b.Layer(null, "image-a", Hour * 10);
        var imageB = b.Layer(null, "image-b", Hour * 10);
        b.ImageChains.UnionWith([imageA, imageB]);
        var child = b.Layer(imageB, "child", Hour);
        b.Leased.Add(child);

        var plan = b.Plan(new PruneOptions { All = true });

        Assert.Equal([imageA], plan.DroppedSnapshots.Select(l => l.ChainId));
        Assert.Equal(["snap-image-a"], plan.SnapshotDirectories);
        Assert.Empty(plan.Blobs); // the image still needs its layer blob
        Assert.Empty(plan.Layers);
    }

    [Fact]
    public void DeadWeight_Goes_EvenWithinBudget()
    {
        var b = new Builder();
        var orphanLayer = b.Layer(null, "orphan", Hour); // no record, image or lease
        b.Blobs[Digest.Of("stray blob").ToString()] = 50;
        b.Snapshots["leftover"] = 70;
        b.OldDirectories.Add("leftover");
        b.Record("broken", Digest.Of("missing").ToString(), Hour);

        var plan = b.Plan(new PruneOptions { KeepBytes = long.MaxValue });

        Assert.Equal(["broken"], plan.Records);
        Assert.Equal([orphanLayer], plan.Layers.Select(l => l.ChainId));
        Assert.Equal(2, plan.Blobs.Count);
        Assert.Equal(["leftover", "snap-orphan"], plan.SnapshotDirectories.Order());
        Assert.Equal(100 + 1000 + 50 + 70, plan.ReclaimedBytes);
    }

    [Fact]
    public void PinnedAndSharedBlobs_Stay()
    {
        var b = new Builder();
        var a = b.Layer(null, "a", Hour);
        b.Record("a", a, Hour);
        // A second chain whose layer has the same blob (same diff on another parent) keeps it.
        var other = b.Layer(null, "other", Hour);
        var sameBlobDiff = Digest.Of("diff a");
        var sharing = LayerRecord.ComputeChainId(other, sameBlobDiff);
        b.Layers.Add(new GcLayerRow(new LayerRecord(sharing, other, sameBlobDiff, Digest.Of("blob a"), 100, null, null, 0), Now.ToUnixTimeMilliseconds()));
        b.Record("sharing", sharing, TimeSpan.Zero);
        b.PinnedBlobs.Add(Digest.Of("blob other").ToString());

        var plan = b.Plan(new PruneOptions { Until = TimeSpan.FromMinutes(30) });

        Assert.Equal(["a"], plan.Records);
        Assert.Equal([a], plan.Layers.Select(l => l.ChainId));
        Assert.Empty(plan.Blobs);
    }

    [Fact]
    public void Until_KeepsCacheUsedMoreRecently()
    {
        var b = new Builder();
        var old = b.Layer(null, "old", Hour * 48);
        var fresh = b.Layer(null, "fresh", Hour);
        b.Record("old", old, Hour * 48);
        b.Record("fresh", fresh, Hour);

        var plan = b.Plan(new PruneOptions { Until = TimeSpan.FromHours(24) });

        Assert.Equal(["old"], plan.Records);
        Assert.Equal([old], plan.Layers.Select(l => l.ChainId));
    }
}
