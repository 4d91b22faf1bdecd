using Csbuild.Oci.Model;

namespace Csbuild.Cache.Metadata;

/// <summary>
/// A layer blob recompressed for export (uncompressed → gzip, gzip → zstd, another level…), so the next export of the
/// same layer with the same settings reuses the converted blob instead of recompressing it, as BuildKit does.
/// <paramref name="Stored"/> is false for a layer compressed straight into a push: only its digest is remembered (enough
/// to tell that a registry already has it); its bytes were never kept. A stored one's blob may be collected later too.
/// </summary>
public sealed record BlobConversion(Digest Source, string Compression, int Level, Digest Target, long TargetSize, string MediaType, bool Stored = true);

public sealed partial class CacheDatabase
{
    private volatile bool _conversionsTableReady;

    /// <summary>The recorded conversion of <paramref name="source"/> to <paramref name="compression"/> at <paramref name="level"/>, if any.</summary>
    public BlobConversion? FindConversion(Digest source, string compression, int level)
    {
        EnsureConversionsTable();
        return Query("""
            SELECT source_digest, compression, level, target_digest, target_size, media_type, stored FROM blob_conversions
            WHERE source_digest=$s AND compression=$c AND level=$l
            """,
            Read, ("$s", source.ToString()), ("$c", compression), ("$l", level)).FirstOrDefault();
    }

    public void PutConversion(BlobConversion conversion)
    {
        EnsureConversionsTable();
        Execute("""
            INSERT INTO blob_conversions(source_digest, compression, level, target_digest, target_size, media_type, created_at, stored)
            VALUES($s, $c, $l, $t, $ts, $m, $now, $stored)
            ON CONFLICT(source_digest, compression, level) DO UPDATE SET
              stored=CASE WHEN target_digest=excluded.target_digest THEN MAX(stored, excluded.stored) ELSE excluded.stored END,
              target_digest=excluded.target_digest, target_size=excluded.target_size, media_type=excluded.media_type,
              created_at=excluded.created_at
            """,
            ("$s", conversion.Source.ToString()), ("$c", conversion.Compression), ("$l", conversion.Level),
            ("$t", conversion.Target.ToString()), ("$ts", conversion.TargetSize), ("$m", conversion.MediaType), ("$now", Now()),
            ("$stored", conversion.Stored ? 1 : 0));
    }

    /// <summary>Every recorded conversion (check-store verifies the stored ones whose blobs are still there).</summary>
    public IReadOnlyList<BlobConversion> AllConversions()
    {
        EnsureConversionsTable();
        return Query("SELECT source_digest, compression, level, target_digest, target_size, media_type, stored FROM blob_conversions", Read);
    }

    private static BlobConversion Read(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        new(Digest.Parse(r.GetString(0)), r.GetString(1), r.GetInt32(2), Digest.Parse(r.GetString(3)), r.GetInt64(4), r.GetString(5), r.GetInt64(6) != 0);

    // Created on first use rather than in the main schema, so this table stays in this file.
    private void EnsureConversionsTable()
    {
        if (_conversionsTableReady) return;
        WithWriteTransaction(() =>
        {
            Execute("""
            CREATE TABLE IF NOT EXISTS blob_conversions(
              source_digest TEXT NOT NULL,
              compression TEXT NOT NULL,
              level INTEGER NOT NULL,
              target_digest TEXT NOT NULL,
              target_size INTEGER NOT NULL,
              media_type TEXT NOT NULL,
              created_at INTEGER NOT NULL,
              stored INTEGER NOT NULL DEFAULT 1,
              PRIMARY KEY(source_digest, compression, level));
            """);
            // Roots made before digest-only conversions existed: every row of theirs had its blob stored.
            if (!Query("PRAGMA table_info(blob_conversions)", r => r.GetString(1)).Contains("stored"))
                Execute("ALTER TABLE blob_conversions ADD COLUMN stored INTEGER NOT NULL DEFAULT 1");
        });
        _conversionsTableReady = true;
    }
}
