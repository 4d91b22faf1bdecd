using System.Runtime.InteropServices;
using Csbuild.Cache.Gc;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;
using Csbuild.TestSupport;

namespace Csbuild.Cache.Tests;

/// <summary>The collector on real roots: files and rows removed, images and other processes' leases respected.</summary>
public sealed partial class GcTests
{
    private static readonly DateTime LongAgo = DateTime.UtcNow.AddHours(-2);

    // A layer as a build makes it: a blob, an unpacked snapshot, a row, and a cache record pointing at it.
    private static LayerRecord AddBuiltLayer(CsbuildRoot root, string? parent, string name, int bytes, string? recordKey = null)
    {
        var blob = root.Content.Put(System.Text.Encoding.UTF8.GetBytes(name + new string('x', bytes)));
        File.SetLastWriteTimeUtc(root.Content.BlobPath(blob), LongAgo);
        using var snapshot = root.Snapshots.Begin();
        File.WriteAllText(Path.Combine(snapshot.FsPath, name), new string('y', bytes));
        var snapshotName = snapshot.Commit();
        Directory.SetLastWriteTimeUtc(Path.Combine(root.Snapshots.Directory, snapshotName), LongAgo);
        var diff = Digest.Of("diff " + name);
        var layer = root.Database.AddLayer(new LayerRecord(LayerRecord.ComputeChainId(parent, diff), parent, diff, blob, bytes, MediaTypes.OciLayerGzip, snapshotName, bytes));
        if (recordKey is not null) root.Database.PutRecord(recordKey, layer.ChainId, parent, "RUN " + name);
        return layer;
    }

    private static void TagImage(CsbuildRoot root, string name, params LayerRecord[] layers)
    {
        var config = new ImageConfig { Architecture = "amd64", Os = "linux", RootFs = new RootFs { DiffIds = layers.Select(l => l.DiffId.ToString()).ToList() } };
        var configBytes = OciJson.Serialize(config);
        var manifest = new ImageManifest
        {
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = root.Content.Put(configBytes).ToString(), Size = configBytes.Length },
            Layers = layers.Select(l => new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = l.BlobDigest!.Value.ToString(), Size = l.BlobSize!.Value }).ToList(),
        };
        var manifestBytes = OciJson.Serialize(manifest);
        root.Images.Tag(name, new Descriptor { MediaType = MediaTypes.OciManifest, Digest = root.Content.Put(manifestBytes).ToString(), Size = manifestBytes.Length });
    }

    private static bool SnapshotExists(CsbuildRoot root, LayerRecord layer) => Directory.Exists(Path.Combine(root.Snapshots.Directory, layer.Snapshot!));

    [Fact]
    public void Prune_RemovesCacheAndUnreferencedBlobs_AndKeepsWhatATaggedImageNeeds()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var imageBase = AddBuiltLayer(root, null, "base", 1000);
        var imageTop = AddBuiltLayer(root, imageBase.ChainId, "top", 1000, "k-top");
        var cacheOnly = AddBuiltLayer(root, imageBase.ChainId, "cache-only", 5000, "k-cache");
        TagImage(root, "app:1", imageBase, imageTop);
        var stray = root.Content.Put("nothing refers to me"u8);
        File.SetLastWriteTimeUtc(root.Content.BlobPath(stray), LongAgo);

        var result = CacheGc.Prune(root, new PruneOptions());

        Assert.Equal(2, result.Records);
        Assert.Equal(1, result.Layers);
        Assert.Null(root.Database.GetLayer(cacheOnly.ChainId));
        Assert.False(SnapshotExists(root, cacheOnly));
        Assert.False(root.Content.Exists(cacheOnly.BlobDigest!.Value));
        Assert.False(root.Content.Exists(stray));
        Assert.True(root.Content.Exists(imageTop.BlobDigest!.Value));
        Assert.True(SnapshotExists(root, imageTop));
        Assert.NotNull(root.Database.GetLayer(imageTop.ChainId));
        var manifest = root.Images.ReadManifest(root.Images.Find("app:1")!.ManifestDigest);
        Assert.True(root.Content.Exists(Digest.Parse(manifest.Config.Digest)));
        Assert.Equal(0, root.Database.CountRecords());
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.TempDirectory)); // blobs moved aside are gone too
    }

    [Fact]
    public void PruneAll_DropsImageSnapshots_ButKeepsTheirBlobs()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var layer = AddBuiltLayer(root, null, "image", 1000);
        TagImage(root, "app:1", layer);

        var result = CacheGc.Prune(root, new PruneOptions { All = true });

        Assert.Equal(1, result.Snapshots);
        Assert.False(SnapshotExists(root, layer));
        Assert.Null(root.Database.GetLayer(layer.ChainId)!.Snapshot);
        Assert.True(root.Content.Exists(layer.BlobDigest!.Value));
    }

    [Fact]
    public void KeepStorage_EvictsLeastRecentlyUsed_UntilUsageFits()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var layers = new List<LayerRecord>();
        for (int i = 0; i < 4; i++)
        {
            layers.Add(AddBuiltLayer(root, null, "step" + i, 10_000, "k" + i));
            Thread.Sleep(5); // distinct last-used times, oldest first
        }
        var before = CacheGc.Usage(root);

        var result = CacheGc.Prune(root, new PruneOptions { KeepBytes = before.SnapshotBytes + before.BlobBytes - 25_000 });

        Assert.Equal(2, result.Records); // each step is ~20 kB (10 kB snapshot, 10 kB blob): freeing 25 kB takes two
        Assert.Null(root.Database.FindRecord("k0", touch: false));
        Assert.Null(root.Database.FindRecord("k1", touch: false));
        Assert.NotNull(root.Database.FindRecord("k2", touch: false));
        Assert.NotNull(root.Database.FindRecord("k3", touch: false));
        var after = CacheGc.Usage(root);
        Assert.True(after.SnapshotBytes + after.BlobBytes <= before.SnapshotBytes + before.BlobBytes - 25_000);
    }

    [Fact]
    public void RunAutomatic_DoesNothingWithinBudget_AndEvictsOverIt()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        AddBuiltLayer(root, null, "a", 10_000, "ka");
        Thread.Sleep(5);
        AddBuiltLayer(root, null, "b", 10_000, "kb");

        Assert.Null(CacheGc.RunAutomatic(root, budget: 1_000_000));
        Assert.Equal(2, root.Database.CountRecords());

        var result = CacheGc.RunAutomatic(root, budget: 25_000);
        Assert.NotNull(result);
        Assert.Equal(1, result.Records);
        Assert.NotNull(root.Database.FindRecord("kb", touch: false));
        Assert.True(result.UsageAfter <= 25_000);

        // Over budget with only an image left: its unpacked snapshot goes, its blobs stay.
        var image = AddBuiltLayer(root, null, "image", 30_000);
        TagImage(root, "app:1", image);
        var squeezed = CacheGc.RunAutomatic(root, budget: 35_000);
        Assert.NotNull(squeezed);
        Assert.Null(root.Database.GetLayer(image.ChainId)!.Snapshot);
        Assert.True(root.Content.Exists(image.BlobDigest!.Value));
    }

    [Fact]
    public void ALiveLeaseInAnotherRoot_KeepsItsChain_AndADeadOnesLeaseIsIgnoredAndRemoved()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("root");
        using var collector = CsbuildRoot.Open(path);
        using var builder = CsbuildRoot.Open(path); // stands for another csbuild process building right now
        var leased = AddBuiltLayer(builder, null, "leased", 1000, "k-leased");
        var child = AddBuiltLayer(builder, leased.ChainId, "leased-child", 1000);
        builder.Lease.Add(child.ChainId);
        var notLeased = AddBuiltLayer(builder, null, "free", 1000, "k-free");
        // A build killed with SIGKILL left its lease behind: same pid format, but a start time that no process has.
        var dead = new ProcessIdentity(ProcessIdentity.Current.Pid, ProcessIdentity.Current.StartTicks + 12345);
        collector.Database.RegisterLeaseHolder("dead-build", dead);
        collector.Database.AddLease("dead-build", notLeased.ChainId);

        CacheGc.Prune(collector, new PruneOptions { All = true });

        Assert.NotNull(collector.Database.GetLayer(child.ChainId));
        Assert.NotNull(collector.Database.GetLayer(leased.ChainId)); // the parent of a leased chain
        Assert.True(SnapshotExists(collector, leased));
        Assert.Null(collector.Database.GetLayer(notLeased.ChainId));
        Assert.DoesNotContain(collector.Database.LeaseHolders(), h => h.Holder == "dead-build");

        builder.Dispose(); // the build finished: its lease is released
        CacheGc.Prune(collector, new PruneOptions());
        Assert.Null(collector.Database.GetLayer(child.ChainId));
        Assert.Null(collector.Database.GetLayer(leased.ChainId));
    }

    [Fact]
    public void BlobsWrittenSinceARunningBuildStarted_AreKept_EvenBeforeTheirRowExists()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("root");
        using var builder = CsbuildRoot.Open(path);
        Thread.Sleep(200); // the blob is clearly younger than the build
        var fresh = builder.Content.Put("a layer blob whose row is not written yet"u8);
        using var collector = CsbuildRoot.Open(path);

        CacheGc.Prune(collector, new PruneOptions { All = true });
        Assert.True(collector.Content.Exists(fresh));

        builder.Dispose();
        Thread.Sleep(200); // older than the collection, with no build running: now it is plain garbage
        CacheGc.Prune(collector, new PruneOptions { All = true });
        Assert.False(collector.Content.Exists(fresh));
    }

    [Fact]
    public void AReadingCommand_RegistersNoHolder_UntilItLeasesAnItem_AndThenIsRespectedLikeABuild()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("root");
        using var collector = CsbuildRoot.Open(path);
        var layer = AddBuiltLayer(collector, null, "read", 1000, "k-read");
        var holdersBefore = collector.Database.LeaseHolders().Count;

        using (var reader = CsbuildRoot.Open(path, LeaseRegistration.OnFirstLease))
            Assert.Equal(holdersBefore, collector.Database.LeaseHolders().Count);
        Assert.Equal(holdersBefore, collector.Database.LeaseHolders().Count);

        using var leasing = CsbuildRoot.Open(path, LeaseRegistration.OnFirstLease);
        leasing.Lease.Add(layer.ChainId);
        Assert.Contains(collector.Database.LeaseHolders(), h => h.Holder == leasing.Lease.Holder);
        CacheGc.Prune(collector, new PruneOptions { All = true });
        Assert.NotNull(collector.Database.GetLayer(layer.ChainId));

        leasing.Dispose();
        Assert.DoesNotContain(collector.Database.LeaseHolders(), h => h.Holder == leasing.Lease.Holder);
        CacheGc.Prune(collector, new PruneOptions { All = true });
        Assert.Null(collector.Database.GetLayer(layer.ChainId));
    }

    [Fact]
    public void Usage_CountsByKind_AndReclaimableMatchesWhatPruneAllFrees()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var image = AddBuiltLayer(root, null, "image", 3000);
        TagImage(root, "app:1", image);
        AddBuiltLayer(root, image.ChainId, "cache", 7000, "k");

        var usage = CacheGc.Usage(root);
        Assert.Equal(2, usage.Snapshots);
        Assert.Equal(10_000, usage.SnapshotBytes);
        Assert.Equal(4, usage.Blobs); // two layers, the config, the manifest
        Assert.Equal(1, usage.Records);
        Assert.Equal(1, usage.ReclaimableRecords);

        var result = CacheGc.Prune(root, new PruneOptions { All = true });
        Assert.Equal(usage.ReclaimableBytes, result.ReclaimedBytes);
        var after = CacheGc.Usage(root);
        Assert.Equal(0, after.ReclaimableBytes);
        Assert.Equal(0, after.Snapshots);
    }

    [Fact]
    public void PruneAll_RemovesCacheMountDirectories_OnlyWhileNoOtherBuildRuns()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("root");
        using var root = CsbuildRoot.Open(path);
        var mount = Path.Combine(path, "cache-mounts", "0123abcd");
        Directory.CreateDirectory(mount);
        File.WriteAllBytes(Path.Combine(mount, "downloaded.pkg"), new byte[4096]);
        File.WriteAllText(Path.Combine(path, "cache-mounts", "0123abcd.lock"), "");

        var usage = CacheGc.Usage(root);
        Assert.Equal(1, usage.CacheMounts);
        Assert.Equal(4096, usage.CacheMountBytes);
        Assert.Equal(4096, usage.ReclaimableCacheMountBytes);

        using (CsbuildRoot.Open(path)) // another build is running: its steps may be using the mount
        {
            Assert.Equal(0, CacheGc.Prune(root, new PruneOptions { All = true }).CacheMounts);
            Assert.True(Directory.Exists(mount));
        }
        Assert.Equal(0, CacheGc.Prune(root, new PruneOptions()).CacheMounts); // only --all touches them

        var result = CacheGc.Prune(root, new PruneOptions { All = true });
        Assert.Equal(1, result.CacheMounts);
        Assert.Equal(4096, result.ReclaimedBytes);
        Assert.False(Directory.Exists(mount));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.TempDirectory));
    }

    [Fact]
    public void OpeningARoot_UnmountsAndRemovesAKilledBuildsLeftovers()
    {
        if (!Environment.IsPrivilegedProcess) return; // mounting needs root; the end-to-end crash test covers it too
        using var dir = new TempDirectory();
        var path = dir.Combine("root");
        CsbuildRoot.Open(path).Dispose();
        // A dead process's RUN bundle with a mount inside, as a SIGKILL mid-step leaves it.
        var leftover = Path.Combine(path, "tmp", "run-1-abcdef01.999999999.tmp");
        var mountPoint = Path.Combine(leftover, "csbuild-x", "rootfs");
        Directory.CreateDirectory(mountPoint);
        Assert.Equal(0, mount("tmpfs", mountPoint, "tmpfs", 0, "size=1m"));
        File.WriteAllText(Path.Combine(mountPoint, "inside"), "x");
        Assert.Single(StaleMounts.Under(leftover));

        CsbuildRoot.Open(path).Dispose();

        Assert.Empty(StaleMounts.Under(leftover));
        Assert.False(Directory.Exists(leftover));
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string source, string target, string fstype, ulong flags, string data);
}
