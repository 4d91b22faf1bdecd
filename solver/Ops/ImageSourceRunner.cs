using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Progress;

namespace Csbuild.Solver.Ops;

/// <summary>
/// A base image becomes a layer chain: its layers are recorded by chain id (shared with every other image
/// or step that has the same stack); nothing is unpacked until a step needs the files.
/// </summary>
internal sealed class ImageSourceRunner(CsbuildRoot root, IImageResolver images, IProgressSink progress)
{
    public async Task<SolvedRef> RunAsync(Vertex vertex, ImageOp op, CancellationToken ct)
    {
        var resolved = await images.ResolveAsync(op.Reference, op.Platform, ct);
        var manifest = root.Images.ReadManifest(resolved.ManifestDigest);
        var diffIds = resolved.Config.RootFs.DiffIds;
        if (diffIds.Count != manifest.Layers.Count)
            throw new StepFailedException(vertex.Name, $"image {op.Reference} is inconsistent: {manifest.Layers.Count} layers but {diffIds.Count} diff_ids");

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
        progress.Report(new VertexCached(vertex.Id, vertex.Name, DateTimeOffset.UtcNow));
        return new ChainRef(chainId);
    }
}
