using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Cache.Snapshots;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Model;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver.Ops;

/// <summary>
/// Turns layer chains into directories a step can use (unpacking blobs lazily) and turns a finished step's
/// diff directory into a layer: one streaming pass writes the blob and yields its digest, which is the diff_id.
/// The blob is the uncompressed tar, as Docker's and buildah's stores keep layers: compressing is paid for only when an
/// image leaves the machine (a push, an archive, a cache export), once per layer (<see cref="Export.LayerConverter"/>).
/// </summary>
/// <param name="inImage">Whether a vertex's layer is part of the image the build exports (its blob is then written at once).</param>
internal sealed class LayerStack(CsbuildRoot root, SolveOptions options, Func<Vertex, bool> inImage)
{
    /// <summary>The fs directories of a chain, bottom layer first, unpacking any that are not on disk.</summary>
    public IReadOnlyList<string> Directories(string? topChainId) => ImageChains.UnpackedDirectories(root, topChainId);

    /// <summary>
    /// Records the snapshot as a new layer on <paramref name="parentChainId"/> and returns the new chain id,
    /// or the parent's when the step changed nothing (no empty layers, as BuildKit's exporter drops them).
    /// A layer the exported image does not contain (an earlier stage's) gets no blob now, only its digest: the tar is
    /// written from the snapshot if an export ever needs it (<see cref="LayerBlobs"/>), so a builder stage's layers cost
    /// no disk writes beyond their files — unless the tar depends on more than the snapshot (SOURCE_DATE_EPOCH's clamp,
    /// owners an unprivileged build could not set), which only this moment knows.
    /// </summary>
    public string? Commit(Vertex vertex, string? parentChainId, ActiveSnapshot snapshot, IReadOnlyDictionary<string, (uint Uid, uint Gid)>? ownerOverrides)
    {
        var overridden = ownerOverrides is { Count: > 0 };
        var writeOptions = new LayerWriteOptions
        {
            Compression = LayerCompression.None,
            ClampTimestamp = options.SourceDateEpoch,
            OwnerOverride = overridden ? path => ownerOverrides!.TryGetValue(path, out var owner) ? ((int)owner.Uid, (int)owner.Gid) : null : null,
        };
        var keepBlob = inImage(vertex) || overridden || options.SourceDateEpoch is not null;
        LayerWriteResult written;
        Digest? blob = null;
        if (keepBlob)
        {
            using var writer = root.Content.BeginWriteDigestedByCaller();
            written = LayerTarWriter.Write(snapshot.FsPath, writer, writeOptions);
            if (written.EntryCount == 0) return parentChainId;
            blob = writer.Commit(written.BlobDigest);
        }
        else
        {
            written = LayerTarWriter.Write(snapshot.FsPath, Stream.Null, writeOptions);
            if (written.EntryCount == 0) return parentChainId;
        }

        var chainId = LayerRecord.ComputeChainId(parentChainId, written.DiffId);
        root.Lease.Add(chainId); // before the row exists, so a collector never takes it from under this build
        var layer = new LayerRecord(chainId, parentChainId, written.DiffId, blob, blob is null ? null : written.BlobSize,
            written.MediaType, null, written.UncompressedSize);
        if (root.Database.GetLayer(chainId) is { Snapshot: { } existing } && Directory.Exists(root.Snapshots.FsPath(existing)))
        {
            // The same layer exists already (another step or process made it): keep that one, with this blob if it had none.
            if (blob is not null) root.Database.AddLayer(layer);
            return chainId;
        }

        var name = snapshot.Commit();
        var record = root.Database.AddLayer(layer with { Snapshot = name });
        if (record.Snapshot != name)
        {
            if (record.Snapshot is { } other && Directory.Exists(root.Snapshots.FsPath(other)))
                StaleFiles.DeleteTree(Path.Combine(root.Snapshots.Directory, name));
            else
                root.Database.SetSnapshot(chainId, name);
        }
        return chainId;
    }
}
