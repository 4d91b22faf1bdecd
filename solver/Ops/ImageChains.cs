using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Model;

namespace Csbuild.Solver.Ops;

/// <summary>Layer chains of images: recording an image's layers by chain id, and unpacking a chain for use.</summary>
public static class ImageChains
{
    /// <summary>
    /// Records an image's layers by chain id (shared with every other image or step with the same stack) and
    /// returns the top chain id; nothing is unpacked. The chain is leased, so a concurrent GC keeps it.
    /// </summary>
    public static string? Register(CsbuildRoot root, ImageManifest manifest, ImageConfig config, string imageName)
    {
        var diffIds = config.RootFs.DiffIds;
        if (diffIds.Count != manifest.Layers.Count)
            throw new BuildException($"image {imageName} is inconsistent: {manifest.Layers.Count} layers but {diffIds.Count} diff_ids");
        string? chainId = null;
        for (int i = 0; i < diffIds.Count; i++)
        {
            var diffId = Digest.Parse(diffIds[i]);
            var layer = manifest.Layers[i];
            var parent = chainId;
            chainId = LayerRecord.ComputeChainId(parent, diffId);
            root.Lease.Add(chainId);
            if (root.Database.GetLayer(chainId) is null)
                root.Database.AddLayer(new LayerRecord(chainId, parent, diffId, Digest.Parse(layer.Digest), layer.Size, layer.MediaType, null, 0));
        }
        return chainId;
    }

    /// <summary>The fs directories of a chain, bottom layer first, unpacking any that are not on disk.</summary>
    public static IReadOnlyList<string> UnpackedDirectories(CsbuildRoot root, string? topChainId)
    {
        var chain = root.Database.GetChain(topChainId);
        var dirs = new string[chain.Count];
        for (int i = 0; i < chain.Count; i++)
        {
            var layer = chain[i];
            // Image layers may carry device nodes (docker allows them); the diff_id check catches a wrong blob.
            dirs[i] = root.Snapshots.EnsureUnpacked(layer, (blob, target) =>
                LayerExtractor.Extract(blob, target, new LayerExtractOptions { ExpectedDiffId = layer.DiffId, AllowDevices = true }).DiffId);
        }
        return dirs;
    }
}
