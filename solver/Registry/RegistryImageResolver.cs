using System.Collections.Concurrent;
using Csbuild.Cache;
using Csbuild.Oci.Registry;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver.Registry;

/// <summary>How <see cref="RegistryImageResolver"/> decides between the local store and the registry.</summary>
public sealed record RegistryImageResolverOptions
{
    /// <summary>Pull every base image even when the local store has it (<c>--pull</c>), to pick up a moved tag.</summary>
    public bool AlwaysPull { get; init; }

    /// <summary>The platform used when a caller resolves without one.</summary>
    public string DefaultPlatform { get; init; } = PlatformSpec.Host;

    /// <summary>Per-blob reports of pulls, e.g. for the build's progress display.</summary>
    public IProgress<BlobTransfer>? Progress { get; init; }
}

/// <summary>
/// Resolves base images from the local store, pulling them from their registry when they are absent
/// (or always, with <see cref="RegistryImageResolverOptions.AlwaysPull"/>), then answering from the store.
/// One build sees one answer per reference and platform, and concurrent requests share one pull.
/// </summary>
public sealed class RegistryImageResolver(CsbuildRoot root, RegistryClient client, RegistryImageResolverOptions? options = null) : IImageResolver
{
    private readonly RegistryImageResolverOptions _options = options ?? new RegistryImageResolverOptions();
    private readonly LocalImageResolver _local = new(root);
    private readonly ConcurrentDictionary<(string, string?), Lazy<Task<ResolvedImage>>> _resolved = new();

    public async Task<ResolvedImage> ResolveAsync(string reference, string? platform, CancellationToken cancellationToken)
    {
        var lazy = _resolved.GetOrAdd((reference, platform), key => new Lazy<Task<ResolvedImage>>(() => ResolveCoreAsync(key.Item1, key.Item2)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (lazy.Value.IsFaulted || lazy.Value.IsCanceled)
        {
            // A failure is not remembered: a later step (or a retry) may find the registry up again.
            _resolved.TryRemove(new KeyValuePair<(string, string?), Lazy<Task<ResolvedImage>>>((reference, platform), lazy));
            throw;
        }
    }

    private async Task<ResolvedImage> ResolveCoreAsync(string reference, string? platform)
    {
        if (!_options.AlwaysPull)
        {
            try
            {
                return await _local.ResolveAsync(reference, platform, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ImageNotFoundException)
            {
                // Not here: pull it below.
            }
        }

        if (!ImageReference.TryParse(reference, out var parsed, out var error))
            throw new ImageNotFoundException(reference, error);
        try
        {
            // Shared by every waiter, so not tied to the first caller's token; the pull itself is bounded by retries.
            await ImagePuller.PullAsync(root, parsed, platform ?? _options.DefaultPlatform, client, _options.Progress, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (RegistryException e)
        {
            throw new ImageNotFoundException(reference, Explain(e));
        }
        catch (NotSupportedException e)
        {
            throw new ImageNotFoundException(reference, e.Message);
        }
        return await _local.ResolveAsync(reference, platform, CancellationToken.None).ConfigureAwait(false);
    }

    private string Explain(RegistryException e)
    {
        var absent = _options.AlwaysPull ? "" : "it is not in the local store, and ";
        if (e.IsNotFound) return $"{absent}the registry does not have it ({e.Message})";
        if (e.IsUnauthorized) return $"{absent}pull access was denied ({e.Message})";
        if (e.StatusCode is null) return $"{absent}the registry could not be reached ({e.Message})";
        return $"{absent}pulling it failed ({e.Message})";
    }
}
