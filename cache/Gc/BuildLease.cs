using System.Collections.Concurrent;
using Csbuild.Cache.Metadata;

namespace Csbuild.Cache.Gc;

/// <summary>
/// What this process is using from a root: chain ids (a chain protects all its ancestors) and blob digests.
/// A collector in another process keeps every leased item while this process runs; the lease is released
/// when the root is disposed, and a process killed without releasing it is recognised as dead by its
/// <see cref="ProcessIdentity"/>. Files this process writes after <see cref="Started"/> are kept too, once the
/// holder is registered: at open for commands that write to the root, at the first <see cref="Add"/> for those
/// that only read it (<see cref="LeaseRegistration.OnFirstLease"/>), which then write nothing to the database.
/// </summary>
public sealed class BuildLease : IDisposable
{
    private readonly CacheDatabase _database;
    private readonly ConcurrentDictionary<string, byte> _items = new(StringComparer.Ordinal);
    private readonly Lock _registering = new();
    private volatile bool _registered;
    private bool _released;

    internal BuildLease(CacheDatabase database, LeaseRegistration registration)
    {
        _database = database;
        Holder = $"{ProcessIdentity.Current.Pid}:{ProcessIdentity.Current.StartTicks}:{Guid.NewGuid():N}";
        Started = DateTimeOffset.UtcNow;
        if (registration == LeaseRegistration.AtOpen) EnsureRegistered();
    }

    /// <summary>Unique per opened root, so two roots opened in one process lease independently.</summary>
    public string Holder { get; }

    public DateTimeOffset Started { get; }

    /// <summary>Protects <paramref name="item"/> (a chain id or blob digest; null is the empty chain) until release.</summary>
    public void Add(string? item)
    {
        if (item is null || _released || !_items.TryAdd(item, 0)) return;
        EnsureRegistered();
        _database.AddLease(Holder, item);
    }

    private void EnsureRegistered()
    {
        if (_registered) return;
        lock (_registering)
        {
            if (_registered) return;
            _database.RegisterLeaseHolder(Holder, ProcessIdentity.Current);
            _registered = true;
        }
    }

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        if (_registered) _database.ReleaseLeaseHolder(Holder);
    }
}

/// <summary>When a process's <see cref="BuildLease"/> holder is recorded for collectors in other processes.</summary>
public enum LeaseRegistration
{
    /// <summary>When the root opens: for commands that write blobs, snapshots or records a collector must not take.</summary>
    AtOpen,

    /// <summary>
    /// At the first leased item, if any: for commands that only read the root, or write only what an image it names
    /// already references (a push). They cost no database write and leave the write-ahead log as it was.
    /// </summary>
    OnFirstLease,
}
