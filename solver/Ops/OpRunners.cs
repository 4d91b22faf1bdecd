using Csbuild.Cache;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Progress;

namespace Csbuild.Solver.Ops;

/// <summary>The executors of each op kind, sharing the root and the layer committer.</summary>
internal sealed class OpRunners
{
    private readonly CsbuildRoot _root;

    /// <param name="inImage">Whether a vertex's layer is part of the image the build exports (see <see cref="LayerStack"/>).</param>
    public OpRunners(CsbuildRoot root, IImageResolver images, CacheKeys keys, SolveOptions options, IProgressSink progress, Func<Vertex, bool> inImage)
    {
        _root = root;
        var layers = new LayerStack(root, options, inImage);
        Image = new ImageSourceRunner(root, images, progress);
        Exec = new ExecRunner(root, layers, options, progress);
        File = new FileOpRunner(root, layers, keys);
    }

    public ImageSourceRunner Image { get; }
    public ExecRunner Exec { get; }
    public FileOpRunner File { get; }

    /// <summary>The fs directories of a chain, bottom layer first, unpacking any that are not on disk.</summary>
    public IReadOnlyList<string> Directories(string? topChainId) => ImageChains.UnpackedDirectories(_root, topChainId);

    /// <summary>A cache record is usable only if every layer of its chain still has a blob (here or in an imported cache) or a snapshot.</summary>
    public bool ChainUsable(string? topChainId)
    {
        try
        {
            foreach (var layer in _root.Database.GetChain(topChainId))
            {
                var hasBlob = layer.BlobDigest is { } blob && _root.RemoteBlobs.Available(blob); // local, or fetchable from an imported cache
                var hasSnapshot = layer.Snapshot is { } s && Directory.Exists(_root.Snapshots.FsPath(s));
                if (!hasBlob && !hasSnapshot) return false;
            }
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}
