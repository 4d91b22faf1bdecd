namespace Csbuild.Cache.Metadata;

/// <summary>
/// A cache hit: a step's key, the chain (top layer) its result is, and the chain it ran on, so a hit tells
/// whether the step added a layer without solving its inputs. Null chain = empty filesystem.
/// </summary>
public sealed record CacheRecord(string Key, string? ChainId, string? BaseChainId, DateTimeOffset Created)
{
    public bool AddedLayer => ChainId != BaseChainId;
}

public sealed partial class CacheDatabase
{
    public CacheRecord? FindRecord(string key, bool touch = true)
    {
        var rows = Query("SELECT key, chain_id, base_chain_id, created_at FROM cache_records WHERE key=$k",
            r => new CacheRecord(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3))), ("$k", key));
        if (rows.Count == 0) return null;
        if (touch) Execute("UPDATE cache_records SET last_used=$now WHERE key=$k", ("$now", Now()), ("$k", key));
        return rows[0];
    }

    /// <param name="created">When the result was first built (an imported record keeps its builder's time); default now.</param>
    public void PutRecord(string key, string? chainId, string? baseChainId, string description, DateTimeOffset? created = null) =>
        Execute("""
            INSERT INTO cache_records(key, chain_id, base_chain_id, description, created_at, last_used) VALUES($k, $c, $b, $d, $created, $now)
            ON CONFLICT(key) DO UPDATE SET chain_id=excluded.chain_id, base_chain_id=excluded.base_chain_id,
              created_at=excluded.created_at, last_used=excluded.last_used
            """, ("$k", key), ("$c", chainId), ("$b", baseChainId), ("$d", description), ("$now", Now()), ("$created", created?.ToUnixTimeMilliseconds() ?? Now()));

    /// <summary>Marks records as just used, in one statement.</summary>
    public void TouchRecords(IReadOnlyCollection<string> keys)
    {
        if (keys.Count == 0) return;
        var names = keys.Select((_, i) => "$k" + i).ToArray();
        Execute($"UPDATE cache_records SET last_used=$now WHERE key IN ({string.Join(',', names)})",
            [("$now", Now()), .. keys.Select((key, i) => (names[i], (object?)key))]);
    }

    public int CountRecords() => Query("SELECT COUNT(*) FROM cache_records", r => r.GetInt32(0))[0];
}
