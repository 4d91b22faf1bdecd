using Csbuild.Cache.Gc;

namespace Csbuild.Cache.Metadata;

/// <summary>A layer row with its last use, as the garbage collector sees it.</summary>
public sealed record GcLayerRow(LayerRecord Layer, long LastUsedMs);

/// <summary>A cache record as the garbage collector sees it.</summary>
public sealed record GcRecordRow(string Key, string? ChainId, long LastUsedMs, string? Description);

/// <summary>A process holding leases; its leases count only while that very process runs.</summary>
public sealed record LeaseHolderRow(string Holder, ProcessIdentity Process, long CreatedMs);

/// <summary>
/// GC bookkeeping: leases (what a running build uses, so a collector in another process keeps it) and the
/// bulk reads and deletes of the collector. Lease rows of a process killed with SIGKILL stay behind; they
/// are ignored (and removed) because their process identity no longer runs.
/// </summary>
public sealed partial class CacheDatabase
{
    private bool _leaseTablesCreated;

    private void EnsureLeaseTables()
    {
        if (_leaseTablesCreated) return;
        Execute("""
            CREATE TABLE IF NOT EXISTS lease_holders(
              holder TEXT PRIMARY KEY, pid INTEGER NOT NULL, start_ticks INTEGER NOT NULL, created_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS leases(
              holder TEXT NOT NULL, item TEXT NOT NULL, PRIMARY KEY(holder, item));
            """);
        _leaseTablesCreated = true;
    }

    public void RegisterLeaseHolder(string holder, ProcessIdentity process)
    {
        EnsureLeaseTables();
        Execute("INSERT OR REPLACE INTO lease_holders(holder, pid, start_ticks, created_at) VALUES($h, $p, $s, $now)",
            ("$h", holder), ("$p", process.Pid), ("$s", process.StartTicks), ("$now", Now()));
    }

    public void AddLease(string holder, string item)
    {
        EnsureLeaseTables();
        Execute("INSERT OR IGNORE INTO leases(holder, item) VALUES($h, $i)", ("$h", holder), ("$i", item));
    }

    public void ReleaseLeaseHolder(string holder)
    {
        EnsureLeaseTables();
        WithWriteTransaction(() =>
        {
            Execute("DELETE FROM leases WHERE holder=$h", ("$h", holder));
            Execute("DELETE FROM lease_holders WHERE holder=$h", ("$h", holder));
        });
    }

    public IReadOnlyList<LeaseHolderRow> LeaseHolders()
    {
        EnsureLeaseTables();
        return Query("SELECT holder, pid, start_ticks, created_at FROM lease_holders",
            r => new LeaseHolderRow(r.GetString(0), new ProcessIdentity(r.GetInt32(1), r.GetInt64(2)), r.GetInt64(3)));
    }

    public IReadOnlyList<string> LeasedItems(string holder)
    {
        EnsureLeaseTables();
        return Query("SELECT item FROM leases WHERE holder=$h", r => r.GetString(0), ("$h", holder));
    }

    internal IReadOnlyList<GcLayerRow> GcLayers() =>
        Query($"SELECT {LayerColumns}, last_used FROM layers", r => new GcLayerRow(ReadLayer(r), r.GetInt64(8)));

    internal IReadOnlyList<GcRecordRow> GcRecords() =>
        Query("SELECT key, chain_id, last_used, description FROM cache_records",
            r => new GcRecordRow(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetString(3)));

    /// <summary>Remembers the measured size of a layer's unpacked snapshot (snapshots never change once committed).</summary>
    internal void SetLayerSize(string chainId, long size) =>
        Execute("UPDATE layers SET size=$s WHERE chain_id=$c", ("$s", size), ("$c", chainId));

    internal void DeleteRecord(string key) => Execute("DELETE FROM cache_records WHERE key=$k", ("$k", key));

    internal void DeleteLayer(string chainId) => Execute("DELETE FROM layers WHERE chain_id=$c", ("$c", chainId));

    internal void ClearSnapshot(string chainId, string snapshot) =>
        Execute("UPDATE layers SET snapshot=NULL WHERE chain_id=$c AND snapshot=$s", ("$c", chainId), ("$s", snapshot));

    internal void DeleteLeaseHolder(string holder)
    {
        Execute("DELETE FROM leases WHERE holder=$h", ("$h", holder));
        Execute("DELETE FROM lease_holders WHERE holder=$h", ("$h", holder));
    }

    /// <summary>Runs the collector's decisions and row deletions as one write transaction (builders' writes wait).</summary>
    internal T InGcTransaction<T>(Func<T> work) => WithWriteTransaction(() => { EnsureLeaseTables(); return work(); });

    public long DatabaseBytes(string path) =>
        new[] { path, path + "-wal", path + "-shm" }.Where(File.Exists).Sum(p => new FileInfo(p).Length);
}
