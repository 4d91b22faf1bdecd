using System.Collections.Concurrent;

namespace Csbuild.Oci.Registry;

/// <summary>
/// Pull mirrors (<see cref="RegistryOptions.Mirrors"/>): manifests and blobs are asked of each mirror in order, then of the
/// registry itself. A mirror's "not found" only moves on to the next source; one that cannot be reached is not asked
/// again by this client, so a dead mirror costs one failed connection per build rather than one per blob.
/// </summary>
public sealed partial class RegistryClient
{
    private readonly ConcurrentDictionary<string, bool> _unreachableMirrors = new(StringComparer.OrdinalIgnoreCase);

    private IEnumerable<string> MirrorsToAsk(string registry) =>
        _options.Mirrors.TryGetValue(registry, out var mirrors)
            ? mirrors.Where(m => !_unreachableMirrors.ContainsKey(m) && !string.Equals(m, registry, StringComparison.OrdinalIgnoreCase))
            : [];

    private void NoteMirrorFailure(string mirror, Exception failure)
    {
        var error = failure as RegistryException ?? failure.InnerException as RegistryException;
        if (error?.StatusCode is null) _unreachableMirrors.TryAdd(mirror, true); // no HTTP answer at all
    }

    /// <summary>Passes writes through and counts them, so a failed mirror download is known to have left nothing behind.</summary>
    private sealed class CountingWriteStream(Stream inner) : Compression.WriteOnlyStreamBase
    {
        public long Written { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Written += buffer.Length;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Written += buffer.Length;
        }

        public override void Flush() => inner.Flush();
    }
}
