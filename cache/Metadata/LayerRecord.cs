using Csbuild.Oci.Model;

namespace Csbuild.Cache.Metadata;

/// <summary>
/// One layer of a chain, identified by its chain id (as containerd: the digest of the parent's chain id and
/// this layer's diff id), so identical stacks built by different steps or processes are stored once.
/// </summary>
public sealed record LayerRecord(
    string ChainId,
    string? ParentChainId,
    Digest DiffId,
    Digest? BlobDigest,
    long? BlobSize,
    string? MediaType,
    string? Snapshot,
    long Size)
{
    public static string ComputeChainId(string? parentChainId, Digest diffId) =>
        parentChainId is null ? diffId.ToString() : Digest.Of(parentChainId + " " + diffId).ToString();
}
