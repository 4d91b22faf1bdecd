using Csbuild.Oci.Model;

namespace Csbuild.Cache.Remote;

/// <summary>A layer of an exported chain: its diff_id and the blob that holds it.</summary>
public sealed record ExportLayer(Digest DiffId, Descriptor Blob);

/// <summary>A step's result to export: the chain of its result (bottom first), how many of those layers it ran on, when it was built.</summary>
public sealed record ExportRecord(string Key, IReadOnlyList<ExportLayer> Chain, int BaseDepth, DateTimeOffset Created);

/// <summary>The contents of a cache mount to export, by the sha256 of its id.</summary>
public sealed record ExportMount(string IdHash, Descriptor Blob);

/// <summary>What an export did.</summary>
public sealed record CacheExportResult(int Records, int Layers, int BlobsUploaded, int BlobsSkipped, Digest Manifest);

/// <summary>
/// Writes an exported cache: every blob the store lacks (uploads of blobs a registry already has are skipped), then
/// the cache config, then the manifest naming all of them (so a registry's GC keeps them) under the store's tag.
/// </summary>
public static class CacheExporter
{
    private const int MaxConcurrentUploads = 3;

    /// <summary>Builds the cache config: chains shared between records are stored once, parents first.</summary>
    public static (CacheConfig Config, IReadOnlyList<Descriptor> Blobs) BuildConfig(IReadOnlyList<ExportRecord> records, IReadOnlyList<ExportMount> mounts)
    {
        var config = new CacheConfig();
        var nodes = new Dictionary<(int? Parent, Digest DiffId), int>();
        var blobs = new List<Descriptor>();
        var seenBlobs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            int? node = null, baseNode = null;
            for (int i = 0; i < record.Chain.Count; i++)
            {
                var layer = record.Chain[i];
                if (!nodes.TryGetValue((node, layer.DiffId), out var index))
                {
                    index = config.Layers.Count;
                    config.Layers.Add(new CacheLayer { Blob = Plain(layer.Blob), DiffId = layer.DiffId.ToString(), Parent = node });
                    nodes[(node, layer.DiffId)] = index;
                    if (seenBlobs.Add(layer.Blob.Digest)) blobs.Add(Plain(layer.Blob));
                }
                node = index;
                if (i + 1 == record.BaseDepth) baseNode = node;
            }
            config.Records.Add(new CacheRecordEntry { Key = record.Key, Layer = node, Base = baseNode, Created = record.Created });
        }
        if (mounts.Count > 0)
        {
            config.Mounts = mounts.OrderBy(m => m.IdHash, StringComparer.Ordinal).Select(m => new CacheMountEntry { IdHash = m.IdHash, Blob = Plain(m.Blob) }).ToList();
            foreach (var mount in config.Mounts)
                if (seenBlobs.Add(mount.Blob.Digest))
                    blobs.Add(new Descriptor
                    {
                        MediaType = mount.Blob.MediaType, Digest = mount.Blob.Digest, Size = mount.Blob.Size,
                        Annotations = new Dictionary<string, string> { [CacheFormat.MountAnnotation] = mount.IdHash },
                    });
        }
        return (config, blobs);
    }

    /// <param name="openBlob">Opens a blob's content (fetching it first if it is only remote).</param>
    public static async Task<CacheExportResult> ExportAsync(ICacheStore store, IReadOnlyList<ExportRecord> records, IReadOnlyList<ExportMount> mounts,
        Func<Descriptor, Stream> openBlob, CancellationToken cancellationToken)
    {
        var (config, blobs) = BuildConfig(records, mounts);
        int uploaded = 0, skipped = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentUploads, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(blobs, options, async (blob, ct) =>
        {
            var sent = await store.PutBlobAsync(blob, () => openBlob(blob), ct).ConfigureAwait(false);
            Interlocked.Increment(ref sent ? ref uploaded : ref skipped);
        }).ConfigureAwait(false);

        var configBytes = CacheFormat.Serialize(config);
        var configDescriptor = new Descriptor { MediaType = CacheFormat.ConfigMediaType, Digest = Digest.Of(configBytes).ToString(), Size = configBytes.Length };
        if (await store.PutBlobAsync(configDescriptor, () => new MemoryStream(configBytes, writable: false), cancellationToken).ConfigureAwait(false))
            uploaded++;
        else
            skipped++;

        var manifest = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            ArtifactType = CacheFormat.ArtifactType,
            Config = configDescriptor,
            Layers = [.. blobs],
        };
        var manifestBytes = OciJson.Serialize(manifest);
        await store.PutManifestAsync(manifestBytes, MediaTypes.OciManifest, cancellationToken).ConfigureAwait(false);
        return new CacheExportResult(config.Records.Count, config.Layers.Count, uploaded, skipped, Digest.Of(manifestBytes));
    }

    /// <summary>Serializes the config for an image's own config (type=inline), base64 as BuildKit's inline cache.</summary>
    public static string InlineConfig(IReadOnlyList<ExportRecord> records) =>
        Convert.ToBase64String(CacheFormat.Serialize(BuildConfig(records, []).Config));

    private static Descriptor Plain(Descriptor blob) => new() { MediaType = blob.MediaType, Digest = blob.Digest, Size = blob.Size };
}
