using System.Collections.Concurrent;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Content;

/// <summary>Somewhere a blob that is not in the content store can be fetched from (a registry repository, a cache directory).</summary>
public interface IBlobProvider
{
    /// <summary>Where the blobs come from, for messages ("registry.example/cache", "/ci/cache").</summary>
    string Name { get; }

    /// <summary>Streams the blob into <paramref name="destination"/>; the caller verifies the digest.</summary>
    Task FetchAsync(Digest digest, long size, Stream destination, CancellationToken cancellationToken);
}

/// <summary>
/// Blobs this process may use but has not downloaded: imported cache records point at layers that stay in the
/// cache registry until a step or an export actually needs their bytes. Each blob is fetched at most once at a
/// time, verified against its digest, and committed to the content store.
/// </summary>
public sealed class LazyBlobs(ContentStore content)
{
    private readonly ConcurrentDictionary<Digest, (IBlobProvider Provider, long Size)> _sources = new();
    private readonly ConcurrentDictionary<Digest, Lazy<Task>> _fetches = new();
    private int _fetched;
    private long _fetchedBytes;

    /// <summary>Blobs downloaded by this process so far.</summary>
    public int Fetched => Volatile.Read(ref _fetched);

    public long FetchedBytes => Interlocked.Read(ref _fetchedBytes);

    /// <summary>Records where a blob can be fetched; the first provider registered for a digest wins.</summary>
    public void Register(Digest digest, long size, IBlobProvider provider) => _sources.TryAdd(digest, (provider, size));

    /// <summary>The provider of a blob that is not local, if any.</summary>
    public IBlobProvider? ProviderOf(Digest digest) => _sources.TryGetValue(digest, out var s) ? s.Provider : null;

    /// <summary>Whether the blob is in the content store or can be fetched.</summary>
    public bool Available(Digest digest) => content.Exists(digest) || _sources.ContainsKey(digest);

    /// <summary>Makes sure the blob is in the content store, fetching it if it is not.</summary>
    /// <exception cref="BlobNotFoundException">Not local, and no provider is known for it.</exception>
    public async Task EnsureLocalAsync(Digest digest, CancellationToken cancellationToken)
    {
        if (content.Touch(digest)) return;
        if (!_sources.TryGetValue(digest, out var source)) throw new BlobNotFoundException(digest);
        var fetch = _fetches.GetOrAdd(digest, d => new Lazy<Task>(() => FetchAsync(d, source.Provider, source.Size)));
        try
        {
            await fetch.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch when (fetch.Value.IsFaulted || fetch.Value.IsCanceled)
        {
            _fetches.TryRemove(new KeyValuePair<Digest, Lazy<Task>>(digest, fetch)); // a later caller may retry
            throw;
        }
    }

    /// <summary>Synchronous form for the unpacking paths, which run on worker threads.</summary>
    public void EnsureLocal(Digest digest) => EnsureLocalAsync(digest, CancellationToken.None).GetAwaiter().GetResult();

    private async Task FetchAsync(Digest digest, IBlobProvider provider, long size)
    {
        if (content.Exists(digest)) return;
        using var writer = content.BeginWrite();
        try
        {
            // Not tied to one waiter's token: others may be waiting for the same blob.
            await provider.FetchAsync(digest, size, writer, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new IOException($"fetching blob {digest} from {provider.Name} failed: {e.Message}", e);
        }
        if (writer.Written != size)
            throw new InvalidDataException($"blob {digest} from {provider.Name} is {writer.Written} bytes, the cache says {size}");
        writer.Commit(digest);
        Interlocked.Increment(ref _fetched);
        Interlocked.Add(ref _fetchedBytes, size);
    }
}
