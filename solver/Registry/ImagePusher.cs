using Csbuild.Cache;
using Csbuild.Cache.Images;
using Csbuild.Oci.Compression;
using Csbuild.Solver.Export;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver.Registry;

/// <summary>The outcome of <see cref="ImagePusher.PushAsync"/>.</summary>
/// <param name="Manifest">The manifest (or index) as the registry now stores it under the destination tag.</param>
/// <param name="BlobsUploaded">Blobs whose bytes were sent.</param>
/// <param name="BlobsSkipped">Blobs the repository already had or mounted from another repository.</param>
public sealed record PushResult(Descriptor Manifest, int BlobsUploaded, int BlobsSkipped)
{
    public Digest Digest => Digest.Parse(Manifest.Digest);
}

/// <summary>
/// Pushes an image of the local store to a registry: its blobs first (in parallel; those the repository already has
/// are not sent), the manifest last, under its own media type. Uncompressed layers are gzip-compressed on the way
/// (<see cref="RegistryForm"/>); an image without them goes byte for byte, so its digest is unchanged.
/// </summary>
public static class ImagePusher
{
    /// <summary>Blobs uploaded at once; Docker's default of 5 concurrent uploads is more than 2-core CI runners gain from.</summary>
    public const int MaxConcurrentUploads = 3;

    /// <exception cref="ImageNotFoundException"><paramref name="localName"/> is not in the local store.</exception>
    /// <exception cref="RegistryException">The registry refused or could not be reached.</exception>
    public static async Task<PushResult> PushAsync(CsbuildRoot root, string localName, ImageReference destination, RegistryClient client,
        IProgress<BlobTransfer>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(client);

        ImageRecord? record;
        try
        {
            record = root.Images.Find(localName);
        }
        catch (FormatException e)
        {
            throw new ImageNotFoundException(localName, e.Message);
        }
        if (record is null)
            throw new ImageNotFoundException(localName, "it is not in the local image store (see 'csbuild images')");

        var stored = root.Content.ReadAllBytes(record.ManifestDigest);
        var mediaType = OciJson.PeekMediaType(stored) ?? record.MediaType;
        // Blobs the registry already holds in the image's source repository can be linked instead of uploaded.
        var mountFrom = ImageReference.TryParse(record.Name, out var source) && source.Registry == destination.Registry ? source.Repository : null;
        var counts = new TransferCounts();
        // Known only when every uncompressed layer was compressed before; otherwise this is no repeat push.
        if (RegistryForm.TryOf(root, stored, mediaType) is { } ready
            && await AlreadyPushedAsync(root, ready, mediaType, destination, client, progress, counts, cancellationToken).ConfigureAwait(false))
            return new PushResult(new Descriptor { MediaType = mediaType, Digest = Digest.Of(ready).ToString(), Size = ready.Length }, 0, counts.Skipped);

        if (MediaTypes.IsIndex(mediaType))
        {
            var index = OciJson.DeserializeIndex(stored);
            foreach (var child in index.Manifests)
            {
                var childDigest = Digest.Parse(child.Digest);
                if (!root.Content.Exists(childDigest))
                    throw new NotSupportedException($"image {record.Name} is an index whose manifest {childDigest} ({child.Platform?.ToString() ?? "no platform"}) "
                        + "is not in the local store; push a single-platform image instead");
                var childStored = root.Content.ReadAllBytes(childDigest);
                if (!MediaTypes.IsManifest(OciJson.PeekMediaType(childStored) ?? child.MediaType))
                    throw new NotSupportedException($"image {record.Name}: nested index {childDigest} cannot be pushed");
                await PushBlobsAsync(root, OciJson.DeserializeManifest(childStored), destination.Name, mountFrom, client, progress, counts, cancellationToken)
                    .ConfigureAwait(false);
                // By digest only: the tag is meant for the index.
                var childContent = RegistryForm.TryOf(root, childStored, child.MediaType) ?? throw Unconverted(record.Name);
                var byDigest = ImageReference.Parse($"{destination.Name}@{Digest.Of(childContent)}");
                await client.PutManifestAsync(byDigest, childContent, child.MediaType, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (MediaTypes.IsManifest(mediaType))
        {
            await PushBlobsAsync(root, OciJson.DeserializeManifest(stored), destination.Name, mountFrom, client, progress, counts, cancellationToken)
                .ConfigureAwait(false);
        }
        else
        {
            throw new NotSupportedException($"image {record.Name}: manifest type '{mediaType}' cannot be pushed");
        }

        var content = RegistryForm.TryOf(root, stored, mediaType) ?? throw Unconverted(record.Name);
        var pushed = await client.PutManifestAsync(destination, content, mediaType, cancellationToken).ConfigureAwait(false);
        var descriptor = new Descriptor { MediaType = mediaType, Digest = pushed.ToString(), Size = content.Length };
        return new PushResult(descriptor, counts.Uploaded, counts.Skipped);
    }

    /// <summary>
    /// An unchanged push costs one request: when the destination already names this exact manifest, the registry holds
    /// every blob it refers to (a registry accepts a manifest only once its blobs are there, and a tagged manifest keeps
    /// them from garbage collection). Any doubt (no digest header, an error) falls back to the full push.
    /// </summary>
    private static async Task<bool> AlreadyPushedAsync(CsbuildRoot root, byte[] content, string mediaType, ImageReference destination,
        RegistryClient client, IProgress<BlobTransfer>? progress, TransferCounts counts, CancellationToken cancellationToken)
    {
        Digest? current;
        try
        {
            current = await client.HeadManifestDigestAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException)
        {
            return false;
        }
        if (current != Digest.Of(content)) return false;

        var blobs = new List<Descriptor>();
        if (MediaTypes.IsIndex(mediaType))
        {
            foreach (var child in OciJson.DeserializeIndex(content).Manifests)
            {
                var childDigest = Digest.Parse(child.Digest);
                if (!root.Content.Exists(childDigest)) continue;
                var manifest = OciJson.DeserializeManifest(root.Content.ReadAllBytes(childDigest));
                blobs.AddRange(manifest.Layers);
                blobs.Add(manifest.Config);
            }
        }
        else
        {
            var manifest = OciJson.DeserializeManifest(content);
            blobs.AddRange(manifest.Layers);
            blobs.Add(manifest.Config);
        }
        foreach (var blob in blobs.DistinctBy(b => b.Digest, StringComparer.Ordinal))
        {
            counts.Add(uploaded: false);
            progress?.Report(new BlobTransfer(Digest.Parse(blob.Digest), blob.MediaType, blob.Size, blob.Size, BlobTransferState.AlreadyExists));
        }
        return true;
    }

    private static async Task PushBlobsAsync(CsbuildRoot root, ImageManifest manifest, RepositoryName repository, string? mountFrom, RegistryClient client,
        IProgress<BlobTransfer>? progress, TransferCounts counts, CancellationToken cancellationToken)
    {
        var blobs = new List<Descriptor>(manifest.Layers.Count + 1);
        blobs.AddRange(manifest.Layers);
        blobs.Add(manifest.Config);
        var distinct = blobs.DistinctBy(b => b.Digest, StringComparer.Ordinal).ToList();
        foreach (var blob in distinct)
        {
            var digest = Digest.Parse(blob.Digest);
            if (!root.Content.Exists(digest))
                throw new InvalidDataException($"blob {digest} ({blob.MediaType}) of the image is missing from the local store; rebuild or re-pull the image");
            var size = root.Content.Size(digest);
            if (size != blob.Size)
                throw new InvalidDataException($"blob {digest} in the local store is {size} bytes, the manifest says {blob.Size}");
        }

        var converter = new LayerConverter(root);
        var options = new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentUploads, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(distinct, options, async (blob, ct) =>
        {
            if (RegistryForm.IsUncompressedLayer(blob))
            {
                var source = Digest.Parse(blob.Digest);
                if (converter.Find(source, LayerCompression.Gzip, null) is { } stored)
                {
                    blob = stored; // compressed before, bytes at hand (an archive or cache export made it): pushed as usual
                }
                else if (converter.Known(source, LayerCompression.Gzip, null) is { } known
                    && await client.BlobExistsAsync(repository, Digest.Parse(known.Digest), ct).ConfigureAwait(false))
                {
                    counts.Add(uploaded: false);
                    progress?.Report(new BlobTransfer(Digest.Parse(known.Digest), known.MediaType, known.Size, known.Size, BlobTransferState.AlreadyExists));
                    return;
                }
                else
                {
                    var (made, uploaded) = await CompressWhileUploadingAsync(converter, source, repository, client, progress, ct).ConfigureAwait(false);
                    if (uploaded)
                    {
                        counts.Add(uploaded: true);
                        progress?.Report(new BlobTransfer(Digest.Parse(made.Digest), made.MediaType, made.Size, made.Size, BlobTransferState.Completed));
                        return;
                    }
                    // The streamed upload failed: compress into the store and push that blob the usual way, with retries.
                    blob = converter.Convert(source, source, LayerCompression.Gzip, null).Blob;
                }
            }
            var digest = Digest.Parse(blob.Digest);
            var bytes = progress is null ? null
                : new SynchronousProgress<long>(n => progress.Report(new BlobTransfer(digest, blob.MediaType, blob.Size, n, BlobTransferState.Transferring)));
            var result = await client.PushBlobAsync(repository, digest, blob.Size, () => root.Content.OpenRead(digest), mountFrom, bytes, ct)
                .ConfigureAwait(false);
            var state = result switch
            {
                BlobPushResult.AlreadyExists => BlobTransferState.AlreadyExists,
                BlobPushResult.Mounted => BlobTransferState.Mounted,
                _ => BlobTransferState.Completed,
            };
            counts.Add(result == BlobPushResult.Uploaded);
            progress?.Report(new BlobTransfer(digest, blob.MediaType, blob.Size, blob.Size, state));
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Compresses an uncompressed layer straight into its upload, as buildah and docker stream their layers: the push
    /// takes about as long as the slower of the two rather than both in turn, and nothing is written to disk. The result's
    /// digest is recorded, so a later push of the same image knows what the registry has without compressing again.
    /// </summary>
    private static async Task<(Descriptor Blob, bool Uploaded)> CompressWhileUploadingAsync(LayerConverter converter, Digest source,
        RepositoryName repository, RegistryClient client, IProgress<BlobTransfer>? progress, CancellationToken ct)
    {
        var bytes = progress is null ? null
            : new SynchronousProgress<long>(n => progress.Report(new BlobTransfer(source, MediaTypes.OciLayerGzip, 0, n, BlobTransferState.Transferring)));
        // An uncompressed layer's blob is its tar: its digest is the diff_id the converter checks the tar against. The
        // upload hashes what it sends, which is the compressed blob: that digest is the one recorded.
        var upload = await client.UploadWhileProducingAsync(repository,
            stream => converter.CompressInto(source, source, LayerCompression.Gzip, null, stream), bytes, ct).ConfigureAwait(false);
        var made = converter.RecordCompressed(source, LayerCompression.Gzip, null, upload.Digest, upload.Size);
        return (made, upload.Uploaded);
    }

    private static InvalidOperationException Unconverted(string name) =>
        new($"image {name}: a layer still has no compressed copy after its push");

    private sealed class TransferCounts
    {
        private int _uploaded, _skipped;
        public int Uploaded => Volatile.Read(ref _uploaded);
        public int Skipped => Volatile.Read(ref _skipped);
        public void Add(bool uploaded) => Interlocked.Increment(ref uploaded ? ref _uploaded : ref _skipped);
    }
}
