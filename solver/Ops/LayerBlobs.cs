using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers;

namespace Csbuild.Solver.Ops;

/// <summary>
/// Blobs for layers committed without one (an earlier stage's layers: see <see cref="LayerStack"/>): the tar is
/// written again from the layer's snapshot, which nothing changes once committed, and must hash to the layer's
/// diff_id, the digest it had when it was made; anything else is refused rather than exported.
/// </summary>
public static class LayerBlobs
{
    /// <summary>The layer with a blob in the content store, writing it now when it has none.</summary>
    public static LayerRecord Ensure(CsbuildRoot root, LayerRecord layer)
    {
        if (layer.BlobDigest is not null) return layer;
        if (layer.Snapshot is not { } snapshot || !Directory.Exists(root.Snapshots.FsPath(snapshot)))
            throw new BuildException($"layer {layer.DiffId} has neither a blob nor a snapshot; rebuild with --no-cache");
        LayerWriteResult written;
        using (var writer = root.Content.BeginWriteDigestedByCaller())
        {
            written = LayerTarWriter.Write(root.Snapshots.FsPath(snapshot), writer, new LayerWriteOptions { Compression = LayerCompression.None });
            if (written.DiffId != layer.DiffId)
                throw new BuildException($"the snapshot of layer {layer.DiffId} now archives to {written.DiffId}: it was changed on disk; rebuild with --no-cache");
            writer.Commit(written.BlobDigest);
        }
        return root.Database.AddLayer(layer with { BlobDigest = written.BlobDigest, BlobSize = written.BlobSize, MediaType = written.MediaType });
    }
}
