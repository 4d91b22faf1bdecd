using Csbuild.Oci.Model;

namespace Csbuild.Oci.Registry;

/// <summary>A manifest or index as the registry served it: the exact bytes (digests are over bytes), type and verified digest.</summary>
public sealed class ManifestResponse(byte[] content, string mediaType, Digest digest)
{
    public byte[] Content { get; } = content;
    public string MediaType { get; } = mediaType;
    public Digest Digest { get; } = digest;
    public long Size => Content.Length;

    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    public Descriptor ToDescriptor() => new() { MediaType = MediaType, Digest = Digest.ToString(), Size = Size };
}

/// <summary>What <see cref="RegistryClient.PushBlobAsync"/> had to do.</summary>
public enum BlobPushResult
{
    /// <summary>The repository already had the blob; nothing was sent.</summary>
    AlreadyExists,
    /// <summary>The registry linked the blob from another repository; nothing was sent.</summary>
    Mounted,
    Uploaded,
}
