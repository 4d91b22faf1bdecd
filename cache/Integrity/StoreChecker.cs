using System.Security.Cryptography;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Integrity;

/// <summary>
/// <c>csbuild check-store</c>: verifies every blob's digest and every metadata reference of a root
/// (layers → parent layers, blobs and snapshots; cache records → layers; images → manifests, configs and layer
/// blobs; conversions → blobs). With repair it drops the rows that point at lost data and moves corrupt blobs
/// aside; it never deletes a file that holds good data, so a wrong repair can always be undone by hand.
/// </summary>
public static class StoreChecker
{
    /// <summary>Where corrupt blobs go (<c>ROOT/quarantine/HEX</c>): out of the store, but not destroyed.</summary>
    public const string QuarantineDirectoryName = "quarantine";

    public static StoreCheckReport Check(CsbuildRoot root, bool repair, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        var problems = new List<StoreProblem>();
        var (blobs, blobBytes, unusable) = VerifyBlobs(root, repair, problems, cancellationToken);
        bool BlobUsable(Digest digest) => !unusable.Contains(digest) && root.Content.Exists(digest);

        var leased = LeasedByLiveBuilds(root);
        var layers = root.Database.AllLayers();
        var dropped = CheckLayers(root, layers, BlobUsable, leased, repair, problems);
        var liveChains = layers.Select(l => l.ChainId).Where(c => !dropped.Contains(c)).ToHashSet(StringComparer.Ordinal);
        int records = CheckRecords(root, liveChains, leased, repair, problems);
        int images = CheckImages(root, BlobUsable, unusable, repair, problems);
        CheckConversions(root, unusable, repair, problems);
        return new StoreCheckReport(problems, blobs, blobBytes, layers.Count, records, images);
    }

    private static (int Count, long Bytes, HashSet<Digest> Unusable) VerifyBlobs(
        CsbuildRoot root, bool repair, List<StoreProblem> problems, CancellationToken cancellationToken)
    {
        int count = 0;
        long bytes = 0;
        var unusable = new HashSet<Digest>();
        foreach (var digest in root.Content.Enumerate().ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            Digest actual;
            long length;
            try
            {
                using var stream = root.Content.OpenRead(digest);
                length = stream.Length;
                actual = Digest.FromHash(SHA256.HashData(stream));
            }
            catch (Content.BlobNotFoundException)
            {
                continue; // removed by a concurrent prune since the listing
            }
            count++;
            bytes += length;
            if (actual == digest) continue;
            unusable.Add(digest);
            string? repaired = null;
            if (repair)
            {
                var quarantine = Path.Combine(root.Path, QuarantineDirectoryName);
                Directory.CreateDirectory(quarantine);
                var destination = Path.Combine(quarantine, digest.Hex);
                File.Move(root.Content.BlobPath(digest), destination, overwrite: true);
                repaired = $"moved to {destination}";
            }
            problems.Add(new StoreProblem(StoreProblemKind.CorruptBlob, digest.ToString(), $"content ({length} bytes) hashes to {actual}", repaired));
        }
        return (count, bytes, unusable);
    }

    /// <summary>Checks every layer row; returns the chain ids that are (or, without repair, would be) dropped.</summary>
    private static HashSet<string> CheckLayers(CsbuildRoot root, IReadOnlyList<LayerRecord> layers, Func<Digest, bool> blobUsable,
        IReadOnlySet<string> leased, bool repair, List<StoreProblem> problems)
    {
        var byChain = layers.ToDictionary(l => l.ChainId, StringComparer.Ordinal);
        var dropped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            bool hasBlob = layer.BlobDigest is { } blob && blobUsable(blob);
            bool hasSnapshot = layer.Snapshot is { } snapshot && Directory.Exists(root.Snapshots.FsPath(snapshot));
            StoreProblem? problem = null;
            bool drop = false;
            if (layer.ParentChainId is { } parent && !byChain.ContainsKey(parent))
            {
                problem = new(StoreProblemKind.MissingParentLayer, layer.ChainId, $"parent layer {parent} is not in the metadata");
                drop = true;
            }
            else if (layer.BlobDigest is { } missing && !hasBlob)
            {
                // Exports need the blob; dropping the row makes the next build redo the step instead of failing.
                problem = new(StoreProblemKind.MissingLayerBlob, layer.ChainId, $"blob {missing} is missing or corrupt");
                drop = true;
            }
            else if (layer.Snapshot is { } lost && !hasSnapshot)
            {
                problem = new(StoreProblemKind.MissingSnapshot, layer.ChainId, $"snapshot directory {root.Snapshots.FsPath(lost)} is gone");
                drop = !hasBlob;
                if (repair && hasBlob && !leased.Contains(layer.ChainId))
                {
                    root.Database.ClearSnapshot(layer.ChainId, lost);
                    problem = problem with { Repair = "will be unpacked again from its blob" };
                }
            }
            else if (layer.BlobDigest is null && layer.Snapshot is null)
            {
                problem = new(StoreProblemKind.EmptyLayer, layer.ChainId, "the layer has neither a blob nor a snapshot");
                drop = true;
            }
            if (problem is null) continue;
            if (drop) dropped.Add(layer.ChainId);
            problems.Add(problem);
        }

        // A dropped layer takes every layer built on it along (their chains can no longer be assembled).
        var children = layers.Where(l => l.ParentChainId is not null).ToLookup(l => l.ParentChainId!, StringComparer.Ordinal);
        var pending = new Stack<string>(dropped);
        while (pending.TryPop(out var chain))
            foreach (var child in children[chain])
                if (dropped.Add(child.ChainId)) pending.Push(child.ChainId);

        if (repair) DropLayers(root, dropped, leased, problems);
        return dropped;
    }

    private static void DropLayers(CsbuildRoot root, HashSet<string> dropped, IReadOnlySet<string> leased, List<StoreProblem> problems)
    {
        foreach (var chain in dropped.Where(leased.Contains).ToList())
        {
            dropped.Remove(chain);
            Annotate(problems, chain, null, "in use by a running build; not repaired");
        }
        foreach (var chain in dropped)
        {
            // Only the row goes: its snapshot directory (if any) becomes unreferenced and prune reclaims it.
            root.Database.DeleteLayer(chain);
            if (!Annotate(problems, chain, "layer row dropped (the step runs again when needed)", null))
                problems.Add(new StoreProblem(StoreProblemKind.MissingParentLayer, chain, "built on a dropped layer", "layer row dropped (the step runs again when needed)"));
        }
    }

    /// <summary>Sets the repair note (or a detail suffix) on the first problem about <paramref name="chain"/>; false if there is none.</summary>
    private static bool Annotate(List<StoreProblem> problems, string chain, string? repair, string? detail)
    {
        int index = problems.FindIndex(p => p.Subject == chain && !p.Repaired && p.Kind is StoreProblemKind.MissingLayerBlob
            or StoreProblemKind.MissingSnapshot or StoreProblemKind.MissingParentLayer or StoreProblemKind.EmptyLayer);
        if (index < 0) return false;
        var problem = problems[index];
        problems[index] = problem with { Repair = repair ?? problem.Repair, Detail = detail is null ? problem.Detail : problem.Detail + "; " + detail };
        return true;
    }

    private static int CheckRecords(CsbuildRoot root, HashSet<string> liveChains, IReadOnlySet<string> leased, bool repair, List<StoreProblem> problems)
    {
        var records = root.Database.GcRecords();
        foreach (var record in records)
        {
            var full = root.Database.FindRecord(record.Key, touch: false);
            if (full is null) continue; // pruned meanwhile
            var missing = new[] { full.ChainId, full.BaseChainId }.FirstOrDefault(c => c is not null && !liveChains.Contains(c));
            if (missing is null) continue;
            string? repaired = null;
            if (repair && !leased.Contains(missing))
            {
                root.Database.DeleteRecord(record.Key);
                repaired = "record dropped (the step runs again when needed)";
            }
            var what = record.Description is { Length: > 0 } d ? $" ({d})" : "";
            problems.Add(new StoreProblem(StoreProblemKind.OrphanRecord, record.Key, $"points at layer {missing}, which is not in the metadata{what}", repaired));
        }
        return records.Count;
    }

    private static int CheckImages(CsbuildRoot root, Func<Digest, bool> blobUsable, IReadOnlySet<Digest> corrupt, bool repair, List<StoreProblem> problems)
    {
        var images = root.Images.List();
        foreach (var image in images)
        {
            var fault = ImageFault(root, image.ManifestDigest, image.MediaType, blobUsable, corrupt, depth: 0);
            if (fault is null) continue;
            string? repaired = null;
            if (repair && root.Images.Remove(image.Name)) repaired = "tag removed (its blobs stay until prune)";
            problems.Add(new StoreProblem(StoreProblemKind.BrokenImage, image.Name, fault, repaired));
        }
        return images.Count;
    }

    /// <summary>What is wrong with an image's content, or null when every blob it names is present and intact.</summary>
    private static string? ImageFault(CsbuildRoot root, Digest digest, string mediaType, Func<Digest, bool> blobUsable,
        IReadOnlySet<Digest> corrupt, int depth)
    {
        if (!blobUsable(digest)) return $"{(MediaTypes.IsIndex(mediaType) ? "index" : "manifest")} {digest} is missing or corrupt";
        try
        {
            var bytes = root.Content.ReadAllBytes(digest);
            if (MediaTypes.IsIndex(OciJson.PeekMediaType(bytes) ?? mediaType))
            {
                if (depth >= 4) return $"index {digest} nests too deeply";
                foreach (var child in OciJson.DeserializeIndex(bytes).Manifests)
                {
                    if (!Digest.TryParse(child.Digest, out var childDigest)) return $"index {digest} names an invalid digest '{child.Digest}'";
                    // A multi-platform index may name platforms that were never pulled; only present children are checked.
                    if (!root.Content.Exists(childDigest) && !corrupt.Contains(childDigest)) continue;
                    if (ImageFault(root, childDigest, child.MediaType, blobUsable, corrupt, depth + 1) is { } fault) return fault;
                }
                return null;
            }
            var manifest = OciJson.DeserializeManifest(bytes);
            var config = Digest.Parse(manifest.Config.Digest);
            if (!blobUsable(config)) return $"config {config} is missing or corrupt";
            var diffIds = root.Images.ReadConfig(config).RootFs.DiffIds;
            if (diffIds.Count != manifest.Layers.Count)
                return $"manifest {digest} has {manifest.Layers.Count} layers but its config lists {diffIds.Count} diff_ids";
            foreach (var layer in manifest.Layers)
                if (!blobUsable(Digest.Parse(layer.Digest))) return $"layer blob {layer.Digest} is missing or corrupt";
            return null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or System.Text.Json.JsonException)
        {
            return $"manifest {digest} cannot be read: {e.Message}";
        }
    }

    /// <summary>
    /// A converted blob is a cache: one that is gone (collected, or never kept: a push streams it) is converted again when
    /// needed; only a corrupt one is a problem, since a later export would copy it.
    /// </summary>
    private static void CheckConversions(CsbuildRoot root, IReadOnlySet<Digest> unusable, bool repair, List<StoreProblem> problems)
    {
        foreach (var conversion in root.Database.AllConversions())
        {
            if (!unusable.Contains(conversion.Target)) continue;
            string? repaired = null;
            if (repair)
            {
                root.Database.Execute("DELETE FROM blob_conversions WHERE source_digest=$s AND compression=$c AND level=$l",
                    ("$s", conversion.Source.ToString()), ("$c", conversion.Compression), ("$l", conversion.Level));
                repaired = "row dropped (converted again when needed)";
            }
            problems.Add(new StoreProblem(StoreProblemKind.StaleConversion, $"{conversion.Source} → {conversion.Compression}",
                $"converted blob {conversion.Target} is corrupt", repaired));
        }
    }

    /// <summary>Chain ids (and other items) leased by builds running in other live processes: repair leaves them alone.</summary>
    private static IReadOnlySet<string> LeasedByLiveBuilds(CsbuildRoot root)
    {
        var items = new HashSet<string>(StringComparer.Ordinal);
        foreach (var holder in root.Database.LeaseHolders())
        {
            if (holder.Process.Pid == Environment.ProcessId || !holder.Process.IsAlive) continue;
            foreach (var item in root.Database.LeasedItems(holder.Holder)) items.Add(item);
        }
        return items;
    }
}
