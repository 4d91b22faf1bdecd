using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Gc;

/// <summary>What a collection removed (or, in a dry run, would remove).</summary>
public sealed record PruneResult(int Records, int Layers, int Snapshots, int Blobs, int CacheMounts, long ReclaimedBytes, long UsageBefore, long UsageAfter);

/// <summary>
/// The garbage collector of a root (<c>csbuild prune</c>, <c>csbuild du</c>, and the automatic collection after
/// a build). Safe beside running builds in other processes: decisions and row deletions happen in one write
/// transaction that sees every live lease; files are deleted afterwards, and a blob or snapshot directory
/// written since the oldest running build started is never deleted (its row may not be written yet).
/// </summary>
public static class CacheGc
{
    /// <summary>The environment variable that sets the automatic collection's budget: a size, or <c>off</c>.</summary>
    public const string BudgetVariable = "CSBUILD_GC_BUDGET";

    private const long MaxDefaultBudget = 20L * 1000 * 1000 * 1000;

    // Kernel file times come from a coarse clock that may lag the wall clock by a tick.
    private static readonly TimeSpan ClockSlack = TimeSpan.FromMilliseconds(100);

    public static PruneResult Prune(CsbuildRoot root, PruneOptions options)
    {
        var plan = Collect(root, options, Measure(root));
        var result = ToResult(plan);
        if (!options.All || plan.OtherBuildsRunning) return result;
        // Cache mounts carry no lease (a shared one has no lock at all), so they go only while no build runs.
        long freed = 0;
        var removed = 0;
        foreach (var mount in CacheMountDirectories(root))
        {
            var bytes = DirectorySize(mount);
            if (!options.DryRun && !DeleteAside(root, mount)) continue;
            freed += bytes;
            removed++;
        }
        return result with { CacheMounts = removed, ReclaimedBytes = result.ReclaimedBytes + freed };
    }

    /// <summary>Space by kind, and what <c>prune --all</c> would reclaim.</summary>
    public static CacheUsage Usage(CsbuildRoot root)
    {
        var measured = Measure(root);
        var plan = Collect(root, new PruneOptions { All = true, DryRun = true }, measured);
        var mountBytes = CacheMountDirectories(root).Select(DirectorySize).ToList();
        return new CacheUsage(
            Snapshots: measured.Snapshots.Count, SnapshotBytes: measured.Snapshots.Values.Sum(s => s.Bytes),
            Blobs: measured.Blobs.Count, BlobBytes: measured.Blobs.Values.Sum(b => b.Bytes),
            Records: root.Database.CountRecords(), Layers: measured.Layers.Count,
            DatabaseBytes: root.Database.DatabaseBytes(System.IO.Path.Combine(root.Path, "cache.db")),
            CacheMounts: mountBytes.Count, CacheMountBytes: mountBytes.Sum(),
            ReclaimableSnapshotBytes: plan.SnapshotBytes, ReclaimableBlobBytes: plan.BlobBytes, ReclaimableRecords: plan.Records.Count,
            ReclaimableCacheMountBytes: plan.OtherBuildsRunning ? 0 : mountBytes.Sum());
    }

    /// <summary>
    /// The collection to run after each build: if usage is over <paramref name="budget"/> (default: the
    /// <see cref="BudgetVariable"/> setting, else <see cref="DefaultBudget"/>), evicts least recently used cache
    /// records, then unpacked snapshots of image layers, until it fits. Returns null when nothing had to be done. Call it after the image is tagged. A collection
    /// that fails on I/O does not fail the finished build (it is retried after the next one); a malformed
    /// <see cref="BudgetVariable"/> throws <see cref="FormatException"/>.
    /// </summary>
    public static PruneResult? RunAutomatic(CsbuildRoot root, long? budget = null)
    {
        var limit = budget ?? ConfiguredBudget(root.Path);
        if (limit is not { } keep) return null;
        try
        {
            var measured = Measure(root);
            if (measured.UsageBytes <= keep) return null;
            // Unpacked image snapshots come last: they can be unpacked again from their blobs.
            return ToResult(Collect(root, new PruneOptions { KeepBytes = keep, All = true }, measured));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            return null;
        }
    }

    /// <summary>The budget from <see cref="BudgetVariable"/>, else the default; null when collection is turned off.</summary>
    public static long? ConfiguredBudget(string rootPath)
    {
        var text = Environment.GetEnvironmentVariable(BudgetVariable);
        if (string.IsNullOrWhiteSpace(text)) return DefaultBudget(rootPath);
        if (text.Trim().Equals("off", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            return ByteSize.Parse(text);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{BudgetVariable}: {e.Message}", e);
        }
    }

    /// <summary>10% of the filesystem that holds the root, at most 20 GB (BuildKit's default policy).</summary>
    public static long DefaultBudget(string rootPath)
    {
        var total = FileSystemSpace.TotalBytes(rootPath);
        return Math.Min(total / 10, MaxDefaultBudget);
    }

    private static PruneResult ToResult(GcPlan plan) =>
        new(plan.Records.Count, plan.Layers.Count, plan.SnapshotDirectories.Count, plan.Blobs.Count, 0, plan.ReclaimedBytes, plan.UsageBefore, plan.UsageAfter);

    /// <summary>The directories of <c>RUN --mount=type=cache</c> (ROOT/cache-mounts/HASH[-N]; their .lock files stay).</summary>
    private static List<string> CacheMountDirectories(CsbuildRoot root)
    {
        var directory = System.IO.Path.Combine(root.Path, "cache-mounts");
        return Directory.Exists(directory) ? Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal).ToList() : [];
    }

    // Renamed into the temp directory first, so no step opens it half-deleted (and a crash leaves a plain leftover).
    private static bool DeleteAside(CsbuildRoot root, string path)
    {
        var aside = StaleFiles.NewPath(root.TempDirectory, "gc");
        try
        {
            Directory.Move(path, aside);
        }
        catch (IOException)
        {
            return false;
        }
        DeleteQuietly(aside);
        return true;
    }

    private static GcPlan Collect(CsbuildRoot root, PruneOptions options, Measurements measured)
    {
        var db = root.Database;
        var started = DateTimeOffset.UtcNow;
        DateTime cutoff = default;
        GcPlan Decide()
        {
            var liveLeases = new List<string>();
            var othersRunning = false;
            var oldestLive = started.ToUnixTimeMilliseconds();
            foreach (var holder in db.LeaseHolders())
            {
                if (holder.Holder == root.Lease.Holder) continue; // the caller's own build is finished
                if (!holder.Process.IsAlive)
                {
                    if (!options.DryRun) db.DeleteLeaseHolder(holder.Holder);
                    continue;
                }
                othersRunning = true;
                oldestLive = Math.Min(oldestLive, holder.CreatedMs);
                liveLeases.AddRange(db.LeasedItems(holder.Holder));
            }
            cutoff = DateTimeOffset.FromUnixTimeMilliseconds(oldestLive).UtcDateTime - ClockSlack;

            var images = ImageReferences.Collect(root);
            var pinned = new HashSet<string>(images.Blobs, StringComparer.Ordinal);
            pinned.UnionWith(liveLeases);
            var deletableBlobs = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (digest, blob) in measured.Blobs)
            {
                if (blob.Modified >= cutoff) pinned.Add(digest);
                else deletableBlobs[digest] = blob.Bytes;
            }
            var inventory = new GcInventory
            {
                Layers = db.GcLayers(),
                Records = db.GcRecords(),
                ImageChains = images.Chains,
                LeasedChains = liveLeases.ToHashSet(StringComparer.Ordinal),
                PinnedBlobs = pinned,
                ExistingBlobs = measured.Blobs.Keys.ToHashSet(StringComparer.Ordinal),
                BlobSizes = deletableBlobs,
                SnapshotSizes = measured.Snapshots.ToDictionary(s => s.Key, s => s.Value.Bytes, StringComparer.Ordinal),
                OldSnapshotDirectories = measured.Snapshots.Where(s => s.Value.Modified < cutoff).Select(s => s.Key).ToHashSet(StringComparer.Ordinal),
                UsageBytes = measured.UsageBytes,
                Now = started,
            };
            var plan = GcPlanner.Plan(inventory, options);
            plan.OtherBuildsRunning = othersRunning;
            if (options.DryRun) return plan;
            foreach (var key in plan.Records) db.DeleteRecord(key);
            foreach (var layer in plan.Layers) db.DeleteLayer(layer.ChainId);
            foreach (var layer in plan.DroppedSnapshots) db.ClearSnapshot(layer.ChainId, layer.Snapshot!);
            return plan;
        }

        if (options.DryRun) return Decide();
        var decided = db.InGcTransaction(Decide);
        // Rows are gone, so no new build can reach these files; running builds' ones were kept above.
        foreach (var name in decided.SnapshotDirectories) DeleteQuietly(System.IO.Path.Combine(root.Snapshots.Directory, name));
        foreach (var digest in decided.Blobs) DeleteBlobIfStillOld(root, Digest.Parse(digest), cutoff);
        RemoveIdleStepLocks(root, cutoff);
        return decided;
    }

    // One lock file per step ever run would pile up; a free one is removed (at worst, two processes that
    // raced for it both run the step, which is what happens without the lock).
    private static void RemoveIdleStepLocks(CsbuildRoot root, DateTime cutoff)
    {
        var directory = System.IO.Path.Combine(root.Path, "locks");
        if (!Directory.Exists(directory)) return;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*.lock"))
        {
            if (file.LastWriteTimeUtc >= cutoff) continue;
            try
            {
                using var held = new FileStream(file.FullName, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                File.Delete(file.FullName);
            }
            catch (IOException)
            {
                // in use by a running step
            }
        }
    }

    // A builder that finds a blob already stored touches it instead of writing it (ContentStore.Put). Moving the
    // blob aside first and checking its time again closes the gap between our look and our delete: a touch
    // before the move shows in the time; a touch after it finds no file and writes the blob anew.
    private static void DeleteBlobIfStillOld(CsbuildRoot root, Digest digest, DateTime cutoff)
    {
        var path = root.Content.BlobPath(digest);
        var aside = StaleFiles.NewPath(root.TempDirectory, "gc");
        try
        {
            File.Move(path, aside);
        }
        catch (IOException)
        {
            return; // gone already (another collector)
        }
        if (File.GetLastWriteTimeUtc(aside) >= cutoff)
        {
            try { File.Move(aside, path, overwrite: false); }
            catch (IOException) { /* stored anew meanwhile: that copy is as good */ }
        }
        File.Delete(aside);
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            StaleFiles.DeleteTree(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next collection: the directory no longer has a row, so it is a leftover then.
        }
    }

    internal sealed record Entry(long Bytes, DateTime Modified);

    internal sealed record Measurements(
        IReadOnlyDictionary<string, Entry> Blobs, IReadOnlyDictionary<string, Entry> Snapshots, IReadOnlyList<GcLayerRow> Layers)
    {
        public long UsageBytes => Blobs.Values.Sum(b => b.Bytes) + Snapshots.Values.Sum(s => s.Bytes);
    }

    // Sizes are measured before the transaction (walking directories is slow); what appears later is simply
    // not a candidate this time.
    private static Measurements Measure(CsbuildRoot root)
    {
        var blobs = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var blobDir = System.IO.Path.Combine(root.Path, "blobs", "sha256");
        if (Directory.Exists(blobDir))
            foreach (var file in new DirectoryInfo(blobDir).EnumerateFiles())
                if (Digest.TryParse("sha256:" + file.Name, out var d))
                    blobs[d.ToString()] = new Entry(file.Length, file.LastWriteTimeUtc);

        var layers = root.Database.GcLayers();
        var knownSizes = new Dictionary<string, (string ChainId, long Size)>(StringComparer.Ordinal);
        foreach (var row in layers)
            if (row.Layer.Snapshot is { } s) knownSizes[s] = (row.Layer.ChainId, row.Layer.Size);
        var snapshots = new Dictionary<string, Entry>(StringComparer.Ordinal);
        if (Directory.Exists(root.Snapshots.Directory))
        {
            foreach (var dir in new DirectoryInfo(root.Snapshots.Directory).EnumerateDirectories())
            {
                if (dir.Name.EndsWith(".tmp", StringComparison.Ordinal)) continue; // being written by a live process
                long bytes;
                if (knownSizes.TryGetValue(dir.Name, out var known) && known.Size > 0)
                {
                    bytes = known.Size;
                }
                else
                {
                    bytes = DirectorySize(dir.FullName);
                    if (knownSizes.ContainsKey(dir.Name)) root.Database.SetLayerSize(known.ChainId, bytes);
                }
                snapshots[dir.Name] = new Entry(bytes, dir.LastWriteTimeUtc);
            }
        }
        return new Measurements(blobs, snapshots, layers);
    }

    internal static long DirectorySize(string path)
    {
        long total = 0;
        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
            foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", options))
                if (file.LinkTarget is null) total += file.Length;
        }
        catch (DirectoryNotFoundException)
        {
            // deleted meanwhile
        }
        return total;
    }
}
