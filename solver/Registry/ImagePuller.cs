using Csbuild.Cache;
using Csbuild.Oci.Layers.Streams;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver.Registry;

/// <summary>
/// Pulls an image from a registry into the local store: manifest (through an index or manifest list when the tag
/// names one), config and layers, each verified against its digest, then names it in the image store.
/// Docker schema2 and OCI documents are stored with their original bytes, so digests stay those of the registry.
/// </summary>
public static class ImagePuller
{
    /// <summary>Blobs downloaded at once; like Docker's default of 3 concurrent downloads.</summary>
    public const int MaxConcurrentDownloads = 3;

    // An index may point at another index (rare, but allowed); more nesting than this is a loop or an abuse.
    private const int MaxIndexDepth = 4;

    /// <summary>
    /// Pulls <paramref name="reference"/> for <paramref name="platform"/> (<c>os/arch[/variant]</c>) and tags it in the
    /// local store under the reference's familiar name (<c>alpine:3.20</c>, <c>127.0.0.1:5000/app:1</c>).
    /// </summary>
    /// <returns>The platform's image manifest as stored and tagged.</returns>
    /// <exception cref="RegistryException">The registry refused, does not have the image, or could not be reached.</exception>
    /// <exception cref="ImageNotFoundException">The image exists but has no manifest for <paramref name="platform"/>.</exception>
    /// <exception cref="NotSupportedException">The manifest is of a kind csbuild cannot use (schema1, an artifact).</exception>
    public static async Task<Descriptor> PullAsync(CsbuildRoot root, ImageReference reference, string platform, RegistryClient client,
        IProgress<BlobTransfer>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(client);

        var response = await client.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        for (int depth = 0; response.IsIndex; depth++)
        {
            if (depth >= MaxIndexDepth)
                throw new NotSupportedException($"{reference.Familiar}: image indexes nested more than {MaxIndexDepth} deep");
            // Kept so that a later push or inspect of the same tag can see what the registry offered.
            StoreDocument(root, response);
            var index = OciJson.DeserializeIndex(response.Content);
            var chosen = PlatformSelector.Select(index, platform)
                ?? throw new ImageNotFoundException(reference.Familiar,
                    $"no manifest for platform {platform} in its index (it has: {NonEmpty(PlatformSelector.Describe(index))})");
            response = await client.GetManifestAsync(reference.WithDigest(Digest.Parse(chosen.Digest)), cancellationToken).ConfigureAwait(false);
        }
        if (!MediaTypes.IsManifest(response.MediaType))
            throw new NotSupportedException($"{reference.Familiar}: manifest type '{response.MediaType}' is not supported "
                + "(only OCI image manifests and Docker schema2; re-push the image with a current tool)");

        var manifest = OciJson.DeserializeManifest(response.Content);
        var blobs = new List<Descriptor>(manifest.Layers.Count + 1) { manifest.Config };
        blobs.AddRange(manifest.Layers);
        var distinct = blobs.DistinctBy(b => b.Digest, StringComparer.Ordinal).ToList();

        var options = new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentDownloads, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(distinct, options, (blob, ct) => new ValueTask(FetchBlobAsync(root, reference.Name, blob, client, progress, ct)))
            .ConfigureAwait(false);

        CheckConsistent(root, reference, manifest);
        StoreDocument(root, response);
        var descriptor = response.ToDescriptor();
        root.Images.Tag(reference.Familiar, descriptor);
        return descriptor;
    }

    private static async Task FetchBlobAsync(CsbuildRoot root, RepositoryName repository, Descriptor blob, RegistryClient client,
        IProgress<BlobTransfer>? progress, CancellationToken cancellationToken)
    {
        var digest = Digest.Parse(blob.Digest);
        if (root.Content.Exists(digest))
        {
            progress?.Report(new BlobTransfer(digest, blob.MediaType, blob.Size, blob.Size, BlobTransferState.AlreadyExists));
            return;
        }
        var bytes = progress is null ? null
            : new SynchronousProgress<long>(n => progress.Report(new BlobTransfer(digest, blob.MediaType, blob.Size, n, BlobTransferState.Transferring)));
        using (var writer = root.Content.BeginWriteDigestedByCaller())
        {
            // The client hashes what it receives and throws on a mismatch, so the store need not hash it again; the file
            // is written on another thread meanwhile. Nothing unverified becomes visible in the store.
            using (var handoff = new HandoffWriteStream(writer))
            {
                await client.FetchBlobAsync(repository, digest, blob.Size, handoff, bytes, cancellationToken).ConfigureAwait(false);
                handoff.Complete();
            }
            if (writer.Written != blob.Size)
                throw new InvalidDataException($"blob {digest} of {repository}: received {writer.Written} bytes, the manifest says {blob.Size}");
            writer.Commit(digest);
        }
        progress?.Report(new BlobTransfer(digest, blob.MediaType, blob.Size, blob.Size, BlobTransferState.Completed));
    }

    /// <summary>Refuses images the solver could not use, before they get a name: an unreadable config or a diff_id count that differs.</summary>
    private static void CheckConsistent(CsbuildRoot root, ImageReference reference, ImageManifest manifest)
    {
        var configType = manifest.Config.MediaType;
        if (configType is not (MediaTypes.OciConfig or MediaTypes.DockerConfig))
            throw new NotSupportedException($"{reference.Familiar} is not a container image (config type '{configType}'); artifacts cannot be pulled");
        var config = root.Images.ReadConfig(Digest.Parse(manifest.Config.Digest));
        if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
            throw new InvalidDataException($"{reference.Familiar} is inconsistent: {manifest.Layers.Count} layers but {config.RootFs.DiffIds.Count} diff_ids in its config");
    }

    private static void StoreDocument(CsbuildRoot root, ManifestResponse response)
    {
        var stored = root.Content.Put(response.Content);
        if (stored != response.Digest)
            throw new NotSupportedException($"manifest {response.Digest}: only sha256 digests are supported by the local store");
    }

    private static string NonEmpty(string text) => text.Length == 0 ? "no platform information" : text;
}
