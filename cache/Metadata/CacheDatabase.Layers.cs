using Csbuild.Oci.Model;
using Microsoft.Data.Sqlite;

namespace Csbuild.Cache.Metadata;

public sealed partial class CacheDatabase
{
    private const string LayerColumns = "chain_id, parent_chain_id, diff_id, blob_digest, blob_size, media_type, snapshot, size";

    private static LayerRecord ReadLayer(SqliteDataReader r) => new(
        r.GetString(0),
        r.IsDBNull(1) ? null : r.GetString(1),
        Digest.Parse(r.GetString(2)),
        r.IsDBNull(3) ? null : Digest.Parse(r.GetString(3)),
        r.IsDBNull(4) ? null : r.GetInt64(4),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6),
        r.GetInt64(7));

    public LayerRecord? GetLayer(string chainId) =>
        Query($"SELECT {LayerColumns} FROM layers WHERE chain_id=$c", ReadLayer, ("$c", chainId)).FirstOrDefault();

    /// <summary>The chain from the bottom layer up to and including <paramref name="topChainId"/>.</summary>
    public IReadOnlyList<LayerRecord> GetChain(string? topChainId)
    {
        var chain = new List<LayerRecord>();
        for (var id = topChainId; id is not null;)
        {
            var layer = GetLayer(id) ?? throw new InvalidDataException($"cache metadata is missing layer {id}; run 'csbuild prune' to drop broken records");
            chain.Add(layer);
            id = layer.ParentChainId;
        }
        chain.Reverse();
        return chain;
    }

    /// <summary>Adds a layer unless a layer with the same chain id exists; fills in missing blob or snapshot data.</summary>
    public LayerRecord AddLayer(LayerRecord layer) => WithWriteTransaction(() =>
    {
        var now = Now();
        Execute("""
            INSERT INTO layers(chain_id, parent_chain_id, diff_id, blob_digest, blob_size, media_type, snapshot, size, created_at, last_used)
            VALUES($c, $p, $d, $b, $bs, $m, $s, $size, $now, $now)
            ON CONFLICT(chain_id) DO UPDATE SET
              blob_digest = COALESCE(layers.blob_digest, excluded.blob_digest),
              blob_size = COALESCE(layers.blob_size, excluded.blob_size),
              media_type = COALESCE(layers.media_type, excluded.media_type),
              snapshot = COALESCE(layers.snapshot, excluded.snapshot),
              last_used = excluded.last_used
            """,
            ("$c", layer.ChainId), ("$p", layer.ParentChainId), ("$d", layer.DiffId.ToString()),
            ("$b", layer.BlobDigest?.ToString()), ("$bs", layer.BlobSize), ("$m", layer.MediaType),
            ("$s", layer.Snapshot), ("$size", layer.Size), ("$now", now));
        return GetLayer(layer.ChainId)!;
    });

    /// <summary>Records an unpacked snapshot for a layer if it has none yet; returns the snapshot the layer now uses.</summary>
    public string SetSnapshotIfMissing(string chainId, string snapshot) => WithWriteTransaction(() =>
    {
        Execute("UPDATE layers SET snapshot=$s WHERE chain_id=$c AND snapshot IS NULL", ("$s", snapshot), ("$c", chainId));
        return GetLayer(chainId)?.Snapshot ?? throw new InvalidDataException($"layer {chainId} vanished from the cache metadata");
    });

    public IReadOnlyList<LayerRecord> AllLayers() => Query($"SELECT {LayerColumns} FROM layers", ReadLayer);

    public IReadOnlySet<string> ReferencedSnapshots() =>
        Query("SELECT snapshot FROM layers WHERE snapshot IS NOT NULL", r => r.GetString(0)).ToHashSet();

    /// <summary>Points a layer at a snapshot, replacing one that was lost from disk.</summary>
    public void SetSnapshot(string chainId, string snapshot) =>
        Execute("UPDATE layers SET snapshot=$s WHERE chain_id=$c", ("$s", snapshot), ("$c", chainId));
}
