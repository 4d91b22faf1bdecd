using Csbuild.Cache;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver.Export;

public sealed record ExportResult(Descriptor Manifest, Digest ConfigDigest, ImageManifest ImageManifest, ImageConfig Config);

/// <summary>
/// Writes the image of a solved graph into the local store: the config (the frontend's config with
/// rootfs.diff_ids of the final chain and one history entry per instruction), the manifest, then the tags.
/// Layers are (re)compressed on the way when <see cref="ImageExportOptions"/> names a compression; without one the image
/// keeps its layers as stored, this build's uncompressed.
/// </summary>
public sealed class ImageExporter(CsbuildRoot root)
{
    public Task<ExportResult> ExportAsync(BuildGraph graph, BuildSolver solver, SolvedRef output, IReadOnlyList<string> tags,
        DateTimeOffset? sourceDateEpoch, CancellationToken ct) =>
        ExportAsync(graph, solver, output, tags, sourceDateEpoch, ImageExportOptions.Default, ct);

    public async Task<ExportResult> ExportAsync(BuildGraph graph, BuildSolver solver, SolvedRef output, IReadOnlyList<string> tags,
        DateTimeOffset? sourceDateEpoch, ImageExportOptions options, CancellationToken ct)
    {
        if (output is not ChainRef chainRef) throw new BuildException("the build result is not a filesystem");
        if (!options.OciMediaTypes && options.Compression == LayerCompression.Zstd)
            throw new BuildException("zstd compression needs OCI media types: remove oci-mediatypes=false (Docker schema2 has no zstd layer type)");
        var chain = root.Database.GetChain(chainRef.TopChainId);
        var config = graph.Config.Clone();
        var baseLayers = CommonPrefix(config.RootFs.DiffIds, chain.Select(l => l.DiffId.ToString()).ToList());
        // Times come from when each step's result was built (its cache record), so a fully cached rebuild
        // writes the same config and the same image digest, as BuildKit does; SOURCE_DATE_EPOCH overrides.
        var stepTime = config.Created ?? DateTimeOffset.UnixEpoch;
        var newest = stepTime;
        config.RootFs = new RootFs { DiffIds = chain.Select(l => l.DiffId.ToString()).ToList() };
        foreach (var step in graph.History)
        {
            var record = step.Vertex is null ? null : await solver.RecordOfAsync(step.Vertex, ct);
            if (record is not null) stepTime = TruncateToSeconds(record.Created);
            if (stepTime > newest) newest = stepTime;
            var empty = record is null || !record.AddedLayer;
            config.History.Add(new HistoryEntry { Created = sourceDateEpoch ?? stepTime, CreatedBy = step.CreatedBy, Comment = step.Comment, EmptyLayer = empty ? true : null });
        }
        var created = sourceDateEpoch ?? (graph.History.Any(h => h.Vertex is not null) ? newest : TruncateToSeconds(DateTimeOffset.UtcNow));
        config.Created = created;
        var nonEmptyHistory = config.History.Count(h => h.EmptyLayer != true);
        // Tools pair non-empty history entries with layers; a base image that lacked history gets neutral entries.
        if (nonEmptyHistory < chain.Count)
            config.History.InsertRange(0, Enumerable.Range(0, chain.Count - nonEmptyHistory)
                .Select(_ => new HistoryEntry { Created = created, Comment = "layer without history" }));

        var converter = new LayerConverter(root);
        var compression = options.Compression ?? (options.ForceCompression ? LayerCompression.Gzip : null);
        var layers = new List<Descriptor>(chain.Count);
        for (int i = 0; i < chain.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var layer = Ops.LayerBlobs.Ensure(root, chain[i]); // an earlier stage's layer (FROM stage) gets its blob now
            // A layer of an imported cache record is downloaded now: the image needs its bytes.
            if (layer.BlobDigest is { } remote && root.RemoteBlobs.ProviderOf(remote) is not null)
                await root.RemoteBlobs.EnsureLocalAsync(remote, ct);
            if (layer.BlobDigest is not { } blob || !root.Content.Exists(blob))
                throw new BuildException($"layer {layer.DiffId} has no blob in the content store; rebuild with --no-cache");
            var stored = new Descriptor { MediaType = ToOciMediaType(layer.MediaType), Digest = blob.ToString(), Size = layer.BlobSize ?? root.Content.Size(blob) };
            var exported = compression is { } target && NeedsConversion(stored, target, i >= baseLayers, options)
                ? converter.Convert(blob, layer.DiffId, target, options.CompressionLevel).Blob
                : stored;
            layers.Add(options.OciMediaTypes ? exported : ToDocker(exported));
        }

        // A base image's inline cache describes the base's build, not this one: only this build's, when asked.
        config.InlineCache = options.InlineCache ? await InlineCacheAsync(graph, solver, chain, layers, ct) : null;
        var configBytes = OciJson.Serialize(config);
        var configDigest = root.Content.Put(configBytes);
        var manifest = new ImageManifest
        {
            MediaType = options.OciMediaTypes ? MediaTypes.OciManifest : MediaTypes.DockerManifest,
            Config = new Descriptor
            {
                MediaType = options.OciMediaTypes ? MediaTypes.OciConfig : MediaTypes.DockerConfig,
                Digest = configDigest.ToString(),
                Size = configBytes.Length,
            },
            Layers = layers,
        };
        var manifestBytes = OciJson.Serialize(manifest);
        var manifestDigest = root.Content.Put(manifestBytes);
        var descriptor = new Descriptor { MediaType = manifest.MediaType, Digest = manifestDigest.ToString(), Size = manifestBytes.Length };
        foreach (var tag in tags) root.Images.Tag(tag, descriptor);
        return new ExportResult(descriptor, configDigest, manifest, config);
    }

    /// <summary>The records of the image's own layers (mode=min), pointing at the layers as this manifest lists them.</summary>
    private async Task<string> InlineCacheAsync(BuildGraph graph, BuildSolver solver, IReadOnlyList<Cache.Metadata.LayerRecord> chain,
        IReadOnlyList<Descriptor> layers, CancellationToken ct)
    {
        var records = await new RemoteCache.CacheRecordCollector(root, graph, solver).CollectAsync(RemoteCache.CacheExportMode.Min, ct);
        var inline = new List<Cache.Remote.ExportRecord>();
        foreach (var record in records)
        {
            // Only records whose chain is a prefix of this image's can name its layers.
            if (record.Chain.Count > chain.Count || record.Chain.Where((l, i) => l.DiffId != chain[i].DiffId).Any()) continue;
            inline.Add(record with { Chain = record.Chain.Select((l, i) => l with { Blob = layers[i] }).ToList() });
        }
        return Cache.Remote.CacheExporter.InlineConfig(inline);
    }

    /// <summary>
    /// As BuildKit: layers this build made get the requested compression (or level); base image layers keep theirs
    /// unless forced, except uncompressed ones (a locally built base), which get compressed like this build's own.
    /// </summary>
    private static bool NeedsConversion(Descriptor stored, LayerCompression target, bool madeByThisBuild, ImageExportOptions options)
    {
        var current = LayerConverter.CompressionOf(stored.MediaType);
        if (options.ForceCompression || madeByThisBuild) return current != target || options.CompressionLevel is not null;
        return current == LayerCompression.None && target != LayerCompression.None;
    }

    private static int CommonPrefix(IReadOnlyList<string> baseDiffIds, IReadOnlyList<string> chainDiffIds)
    {
        int n = 0;
        while (n < baseDiffIds.Count && n < chainDiffIds.Count && baseDiffIds[n] == chainDiffIds[n]) n++;
        return n;
    }

    private static string ToOciMediaType(string? mediaType) => mediaType switch
    {
        null or MediaTypes.DockerLayerGzip => MediaTypes.OciLayerGzip,
        MediaTypes.DockerLayer => MediaTypes.OciLayer,
        _ => mediaType,
    };

    private static Descriptor ToDocker(Descriptor layer) => new()
    {
        MediaType = LayerConverter.CompressionOf(layer.MediaType) switch
        {
            LayerCompression.Gzip => MediaTypes.DockerLayerGzip,
            LayerCompression.None => MediaTypes.DockerLayer,
            _ => throw new BuildException($"layer {layer.Digest} is zstd-compressed and cannot have a Docker media type; "
                + "use OCI media types or force-compression=true with gzip"),
        },
        Digest = layer.Digest,
        Size = layer.Size,
    };

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds());
}
