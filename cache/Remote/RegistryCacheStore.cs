using Csbuild.Cache.Content;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;

namespace Csbuild.Cache.Remote;

/// <summary>A build cache in a registry repository, under a tag: the same registry CI already pushes images to.</summary>
public sealed class RegistryCacheStore(RegistryClient client, ImageReference reference) : ICacheStore, IBlobProvider
{
    private const int MaxSmallBlob = 64 << 20;

    public string Name => "registry " + reference.Familiar;

    string IBlobProvider.Name => reference.Name.Familiar;

    public IBlobProvider Blobs => this;

    public async Task<StoredManifest?> ReadManifestAsync(string platform, CancellationToken cancellationToken)
    {
        ManifestResponse response;
        try
        {
            response = await client.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e) when (e.IsNotFound)
        {
            return null;
        }
        if (!response.IsIndex) return new StoredManifest(response.Content, response.MediaType, response.Digest);

        // An image with an inline cache may be multi-platform: its cache is in the build platform's manifest.
        var index = OciJson.DeserializeIndex(response.Content);
        var chosen = index.Manifests.FirstOrDefault(m => m.Platform?.ToString() == platform) ?? index.Manifests.FirstOrDefault()
            ?? throw new InvalidDataException($"{Name} is an empty index");
        var child = await client.GetManifestAsync(reference.WithDigest(Digest.Parse(chosen.Digest)), cancellationToken).ConfigureAwait(false);
        return new StoredManifest(child.Content, child.MediaType, child.Digest);
    }

    public async Task<byte[]> ReadSmallBlobAsync(Descriptor blob, CancellationToken cancellationToken)
    {
        if (blob.Size is < 0 or > MaxSmallBlob) throw new InvalidDataException($"{Name}: blob {blob.Digest} claims {blob.Size} bytes");
        using var buffer = new MemoryStream((int)blob.Size);
        await client.FetchBlobAsync(reference.Name, Digest.Parse(blob.Digest), blob.Size, buffer, null, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public Task FetchAsync(Digest digest, long size, Stream destination, CancellationToken cancellationToken) =>
        client.FetchBlobAsync(reference.Name, digest, size, destination, null, cancellationToken);

    public async Task<bool> PutBlobAsync(Descriptor blob, Func<Stream> openContent, CancellationToken cancellationToken)
    {
        var result = await client.PushBlobAsync(reference.Name, Digest.Parse(blob.Digest), blob.Size, openContent, null, null, cancellationToken)
            .ConfigureAwait(false);
        return result == BlobPushResult.Uploaded;
    }

    public async Task PutManifestAsync(byte[] manifest, string mediaType, CancellationToken cancellationToken) =>
        await client.PutManifestAsync(reference, manifest, mediaType, cancellationToken).ConfigureAwait(false);
}
