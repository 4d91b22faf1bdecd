using Csbuild.Cache.Metadata;

namespace Csbuild.Cache.Gc;

/// <summary>The collector's decisions: rows to delete, snapshots and blobs to remove, and the bytes that frees.</summary>
public sealed class GcPlan
{
    public List<string> Records { get; } = [];
    public List<LayerRecord> Layers { get; } = [];

    /// <summary>Layers that stay (their blob remains) but lose their unpacked snapshot.</summary>
    public List<LayerRecord> DroppedSnapshots { get; } = [];

    /// <summary>Snapshot directories to delete: those of deleted layers and dropped snapshots, and leftovers.</summary>
    public List<string> SnapshotDirectories { get; } = [];

    public List<string> Blobs { get; } = [];
    public long SnapshotBytes { get; set; }
    public long BlobBytes { get; set; }
    public long ReclaimedBytes => SnapshotBytes + BlobBytes;
    public long UsageBefore { get; init; }

    /// <summary>Whether other csbuild processes were using the root (their leases were honoured).</summary>
    public bool OtherBuildsRunning { get; set; }
    public long UsageAfter => UsageBefore - ReclaimedBytes;
}
