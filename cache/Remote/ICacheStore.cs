using Csbuild.Cache.Content;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Remote;

/// <summary>A manifest as a cache store holds it: exact bytes (digests are over bytes) and media type.</summary>
public sealed record StoredManifest(byte[] Content, string MediaType, Digest Digest);

/// <summary>Where an exported build cache lives: a registry repository and tag, or an OCI layout directory and tag.</summary>
public interface ICacheStore
{
    /// <summary>For messages: "registry 127.0.0.1:5000/app:cache", "directory /ci/cache".</summary>
    string Name { get; }

    /// <summary>Fetches blobs of this store on demand (for lazily imported layers).</summary>
    IBlobProvider Blobs { get; }

    /// <summary>The manifest under the store's tag (an index is resolved to the platform's manifest); null when there is none.</summary>
    Task<StoredManifest?> ReadManifestAsync(string platform, CancellationToken cancellationToken);

    /// <summary>A small blob (a config), verified against its digest.</summary>
    Task<byte[]> ReadSmallBlobAsync(Descriptor blob, CancellationToken cancellationToken);

    /// <summary>Stores a blob unless the store has it already; true when bytes were written.</summary>
    Task<bool> PutBlobAsync(Descriptor blob, Func<Stream> openContent, CancellationToken cancellationToken);

    /// <summary>Stores the manifest under the store's tag; its blobs must be stored first.</summary>
    Task PutManifestAsync(byte[] manifest, string mediaType, CancellationToken cancellationToken);
}
