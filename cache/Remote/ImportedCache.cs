using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Remote;

/// <summary>A record found in an imported cache, with the chain of its result and the cache it came from.</summary>
public sealed record ImportedRecord(LoadedCache Source, CacheRecordEntry Entry, IReadOnlyList<CacheLayer> Chain, int BaseDepth);

/// <summary>
/// The caches given with <c>--cache-from</c>, in order: a key missing from one falls through to the next. A hit is
/// turned into local metadata (layer rows without snapshots, a cache record) and its blobs are registered as
/// fetchable, so nothing is downloaded until a step or an export reads the layers.
/// </summary>
public sealed class ImportedCache(IReadOnlyList<LoadedCache> sources)
{
    private int _hits;

    public IReadOnlyList<LoadedCache> Sources { get; } = sources;

    /// <summary>Keys answered from an imported cache in this build.</summary>
    public int Hits => Volatile.Read(ref _hits);

    public ImportedRecord? Find(string key)
    {
        foreach (var source in Sources)
        {
            if (source.Find(key) is not { } entry) continue;
            var chain = source.ChainOf(entry.Layer);
            var baseDepth = source.ChainOf(entry.Base).Count;
            // A result is its base plus at most the step's own layers: a record claiming otherwise is not trusted.
            if (baseDepth > chain.Count || source.ChainIdOf(entry.Base) is { } b && !ChainContains(source, entry.Layer, b)) continue;
            return new ImportedRecord(source, entry, chain, baseDepth);
        }
        return null;
    }

    /// <summary>The record as metadata (chain ids, creation time) without making it local: for image history of steps a hit skipped.</summary>
    public CacheRecord? RecordOf(string key) => Find(key) is { } found
        ? new CacheRecord(key, found.Source.ChainIdOf(found.Entry.Layer), found.Source.ChainIdOf(found.Entry.Base), found.Entry.Created)
        : null;

    /// <summary>Adds an imported record to the local metadata and registers where its blobs are; null when no source has the key.</summary>
    public CacheRecord? Materialize(CsbuildRoot root, string key, string description)
    {
        if (Find(key) is not { } found) return null;
        string? chainId = null, baseChainId = null;
        for (int i = 0; i < found.Chain.Count; i++)
        {
            var layer = found.Chain[i];
            var diffId = Digest.Parse(layer.DiffId);
            var parent = chainId;
            chainId = LayerRecord.ComputeChainId(parent, diffId);
            root.Lease.Add(chainId);
            var blob = Digest.Parse(layer.Blob.Digest);
            root.RemoteBlobs.Register(blob, layer.Blob.Size, found.Source.Store.Blobs);
            root.Database.AddLayer(new LayerRecord(chainId, parent, diffId, blob, layer.Blob.Size, layer.Blob.MediaType, null, 0));
            if (i + 1 == found.BaseDepth) baseChainId = chainId;
        }
        root.Database.PutRecord(key, chainId, baseChainId, description, found.Entry.Created);
        Interlocked.Increment(ref _hits);
        return new CacheRecord(key, chainId, baseChainId, found.Entry.Created);
    }

    /// <summary>The exported contents of a cache mount, by the sha256 of its id, from the first source that has it.</summary>
    public (CacheMountEntry Entry, LoadedCache Source)? FindMount(string idHash)
    {
        foreach (var source in Sources)
            if (source.Config.Mounts?.FirstOrDefault(m => m.IdHash == idHash) is { } entry)
                return (entry, source);
        return null;
    }

    private static bool ChainContains(LoadedCache source, int? top, string chainId)
    {
        for (var n = top; n is { } i; n = source.Config.Layers[i].Parent)
            if (source.ChainIdOf(i) == chainId) return true;
        return false;
    }
}
