using Csbuild.Cache.Metadata;

namespace Csbuild.Cache.Gc;

/// <summary>
/// Everything the collector decides on, read in one transaction: rows, what tagged images and running builds
/// pin, and the on-disk sizes of blobs and snapshots that are old enough to be deleted at all.
/// </summary>
public sealed class GcInventory
{
    public required IReadOnlyList<GcLayerRow> Layers { get; init; }
    public required IReadOnlyList<GcRecordRow> Records { get; init; }

    /// <summary>Chain ids tagged images are made of (their ancestors are kept through them).</summary>
    public required IReadOnlySet<string> ImageChains { get; init; }

    /// <summary>Chain ids running builds use: kept with their ancestors, snapshots included, and their records too.</summary>
    public required IReadOnlySet<string> LeasedChains { get; init; }

    /// <summary>Blobs that must stay whatever rows go: image manifests, configs and layers, leased or fresh blobs.</summary>
    public required IReadOnlySet<string> PinnedBlobs { get; init; }

    /// <summary>Every blob on disk, deletable or not.</summary>
    public required IReadOnlySet<string> ExistingBlobs { get; init; }

    /// <summary>Deletable blobs on disk (digest → bytes); a blob not listed here is never deleted.</summary>
    public required IReadOnlyDictionary<string, long> BlobSizes { get; init; }

    /// <summary>Snapshot directories on disk (name → bytes).</summary>
    public required IReadOnlyDictionary<string, long> SnapshotSizes { get; init; }

    /// <summary>Snapshot directories no row named when measured and old enough to be leftovers.</summary>
    public required IReadOnlySet<string> OldSnapshotDirectories { get; init; }

    /// <summary>Bytes in use before collecting: every blob and snapshot, deletable or not.</summary>
    public required long UsageBytes { get; init; }

    public required DateTimeOffset Now { get; init; }
}

/// <summary>What to collect: <c>csbuild prune</c>'s flags, or the automatic collection after a build.</summary>
public sealed record PruneOptions
{
    /// <summary>Also drop unpacked snapshots of image layers (they can be unpacked again from their blobs).</summary>
    public bool All { get; init; }

    /// <summary>Stop once usage is at or below this many bytes (least recently used first); null removes all eligible.</summary>
    public long? KeepBytes { get; init; }

    /// <summary>Only cache used longer ago than this is eligible (<c>--filter until=24h</c>).</summary>
    public TimeSpan? Until { get; init; }

    /// <summary>Compute what would go without deleting anything.</summary>
    public bool DryRun { get; init; }
}
