using Csbuild.Cache;
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
        string? chainId;
        try
        {
            chainId = ImageChains.Register(root, manifest, resolved.Config, op.Reference);
        }
        catch (BuildException e)
        {
            throw new StepFailedException(vertex.Name, e.Message, e);
        }
        progress.Report(new VertexCached(vertex.Id, vertex.Name, DateTimeOffset.UtcNow));
        return new ChainRef(chainId);
    }
}
