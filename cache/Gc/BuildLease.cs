using System.Collections.Concurrent;
using Csbuild.Cache.Metadata;

namespace Csbuild.Cache.Gc;

/// <summary>
/// What this process is using from a root: chain ids (a chain protects all its ancestors) and blob digests.
/// A collector in another process keeps every leased item while this process runs; the lease is released
/// when the root is disposed, and a process killed without releasing it is recognised as dead by its
/// <see cref="ProcessIdentity"/>. Files this process writes after <see cref="Started"/> are kept too.
/// </summary>
public sealed class BuildLease : IDisposable
{
    private readonly CacheDatabase _database;
    private readonly ConcurrentDictionary<string, byte> _items = new(StringComparer.Ordinal);
    private bool _released;

    internal BuildLease(CacheDatabase database)
    {
        _database = database;
        Holder = $"{ProcessIdentity.Current.Pid}:{ProcessIdentity.Current.StartTicks}:{Guid.NewGuid():N}";
        Started = DateTimeOffset.UtcNow;
        database.RegisterLeaseHolder(Holder, ProcessIdentity.Current);
    }

    /// <summary>Unique per opened root, so two roots opened in one process lease independently.</summary>
    public string Holder { get; }

    public DateTimeOffset Started { get; }

    /// <summary>Protects <paramref name="item"/> (a chain id or blob digest; null is the empty chain) until release.</summary>
    public void Add(string? item)
    {
        if (item is null || _released || !_items.TryAdd(item, 0)) return;
        _database.AddLease(Holder, item);
    }

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        _database.ReleaseLeaseHolder(Holder);
    }
}
