namespace Csbuild.Cache.Gc;

/// <summary>
/// Disk use of a root by kind (<c>csbuild du</c>): unpacked snapshots, the content store's blobs, cache records,
/// <c>RUN --mount=type=cache</c> directories, and what <c>csbuild prune --all</c> would reclaim now.
/// </summary>
public sealed record CacheUsage(
    int Snapshots, long SnapshotBytes,
    int Blobs, long BlobBytes,
    int Records, int Layers, long DatabaseBytes,
    int CacheMounts, long CacheMountBytes,
    long ReclaimableSnapshotBytes, long ReclaimableBlobBytes, int ReclaimableRecords, long ReclaimableCacheMountBytes)
{
    public long TotalBytes => SnapshotBytes + BlobBytes + DatabaseBytes + CacheMountBytes;
    public long ReclaimableBytes => ReclaimableSnapshotBytes + ReclaimableBlobBytes + ReclaimableCacheMountBytes;
}
