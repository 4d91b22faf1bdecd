using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Cache.Snapshots;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Model;

namespace Csbuild.Solver.Ops;

/// <summary>
/// Turns layer chains into directories a step can use (unpacking blobs lazily) and turns a finished step's
/// diff directory into a layer: one streaming pass writes the blob and yields its digest, which is the diff_id.
/// The blob is the uncompressed tar, as Docker's and buildah's stores keep layers: compressing is paid for only when an
/// image leaves the machine (a push, an archive, a cache export), once per layer (<see cref="Export.LayerConverter"/>).
/// </summary>
internal sealed class LayerStack(CsbuildRoot root, SolveOptions options)
{
    /// <summary>The fs directories of a chain, bottom layer first, unpacking any that are not on disk.</summary>
    public IReadOnlyList<string> Directories(string? topChainId) => ImageChains.UnpackedDirectories(root, topChainId);

    /// <summary>
    /// Records the snapshot as a new layer on <paramref name="parentChainId"/> and returns the new chain id,
    /// or the parent's when the step changed nothing (no empty layers, as BuildKit's exporter drops them).
    /// </summary>
    public string? Commit(string? parentChainId, ActiveSnapshot snapshot, IReadOnlyDictionary<string, (uint Uid, uint Gid)>? ownerOverrides)
    {
        LayerWriteResult written;
        Digest blob;
        using (var writer = root.Content.BeginWriteDigestedByCaller())
        {
            written = LayerTarWriter.Write(snapshot.FsPath, writer, new LayerWriteOptions
            {
                Compression = LayerCompression.None,
                ClampTimestamp = options.SourceDateEpoch,
                OwnerOverride = ownerOverrides is null || ownerOverrides.Count == 0
                    ? null
                    : path => ownerOverrides.TryGetValue(path, out var owner) ? ((int)owner.Uid, (int)owner.Gid) : null,
            });
            if (written.EntryCount == 0) return parentChainId;
            blob = writer.Commit(written.BlobDigest);
        }

        var chainId = LayerRecord.ComputeChainId(parentChainId, written.DiffId);
        root.Lease.Add(chainId); // before the row exists, so a collector never takes it from under this build
        if (root.Database.GetLayer(chainId) is { Snapshot: { } existing } && Directory.Exists(root.Snapshots.FsPath(existing)))
            return chainId; // the same layer exists already (another step or process made it): keep that one

        var name = snapshot.Commit();
        var record = root.Database.AddLayer(new LayerRecord(chainId, parentChainId, written.DiffId, blob, written.BlobSize,
            written.MediaType, name, written.UncompressedSize));
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
