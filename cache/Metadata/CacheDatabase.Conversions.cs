using Csbuild.Oci.Model;

namespace Csbuild.Cache.Metadata;

/// <summary>
/// A layer blob recompressed for export (gzip → zstd, gzip → uncompressed, another level…), so the next export of the
/// same layer with the same settings reuses the converted blob instead of recompressing it, as BuildKit does.
/// </summary>
public sealed record BlobConversion(Digest Source, string Compression, int Level, Digest Target, long TargetSize, string MediaType);

public sealed partial class CacheDatabase
{
    private volatile bool _conversionsTableReady;

    /// <summary>The recorded conversion of <paramref name="source"/> to <paramref name="compression"/> at <paramref name="level"/>, if any.</summary>
    public BlobConversion? FindConversion(Digest source, string compression, int level)
    {
        EnsureConversionsTable();
        return Query("""
            SELECT source_digest, compression, level, target_digest, target_size, media_type FROM blob_conversions
            WHERE source_digest=$s AND compression=$c AND level=$l
            """,
            r => new BlobConversion(Digest.Parse(r.GetString(0)), r.GetString(1), r.GetInt32(2), Digest.Parse(r.GetString(3)), r.GetInt64(4), r.GetString(5)),
            ("$s", source.ToString()), ("$c", compression), ("$l", level)).FirstOrDefault();
    }

    public void PutConversion(BlobConversion conversion)
    {
        EnsureConversionsTable();
        Execute("""
            INSERT INTO blob_conversions(source_digest, compression, level, target_digest, target_size, media_type, created_at)
            VALUES($s, $c, $l, $t, $ts, $m, $now)
            ON CONFLICT(source_digest, compression, level) DO UPDATE SET target_digest=excluded.target_digest,
              target_size=excluded.target_size, media_type=excluded.media_type, created_at=excluded.created_at
            """,
            ("$s", conversion.Source.ToString()), ("$c", conversion.Compression), ("$l", conversion.Level),
            ("$t", conversion.Target.ToString()), ("$ts", conversion.TargetSize), ("$m", conversion.MediaType), ("$now", Now()));
    }

    /// <summary>Converted blobs still referenced by the table (for garbage collection: they are kept while their source is).</summary>
    public IReadOnlyList<BlobConversion> AllConversions()
    {
        EnsureConversionsTable();
        return Query("SELECT source_digest, compression, level, target_digest, target_size, media_type FROM blob_conversions",
            r => new BlobConversion(Digest.Parse(r.GetString(0)), r.GetString(1), r.GetInt32(2), Digest.Parse(r.GetString(3)), r.GetInt64(4), r.GetString(5)));
    }

    // Created on first use rather than in the main schema, so this table stays in this file.
    private void EnsureConversionsTable()
    {
        if (_conversionsTableReady) return;
        WithWriteTransaction(() => Execute("""
            CREATE TABLE IF NOT EXISTS blob_conversions(
              source_digest TEXT NOT NULL,
              compression TEXT NOT NULL,
              level INTEGER NOT NULL,
              target_digest TEXT NOT NULL,
              target_size INTEGER NOT NULL,
              media_type TEXT NOT NULL,
              created_at INTEGER NOT NULL,
              PRIMARY KEY(source_digest, compression, level));
            """));
        _conversionsTableReady = true;
    }
}
