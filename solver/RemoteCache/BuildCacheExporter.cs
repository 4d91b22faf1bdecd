using Csbuild.Cache;
using Csbuild.Cache.Remote;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;
using Csbuild.Solver.Export;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Ops;

namespace Csbuild.Solver.RemoteCache;

/// <summary>
/// <c>--cache-to type=registry|local</c> after a build: collects the records the mode asks for, compresses layers (as
/// asked, else gzip for uncompressed ones), packs cache-mount directories when asked, and hands it all to <see cref="CacheExporter"/>.
/// </summary>
public sealed class BuildCacheExporter(CsbuildRoot root, BuildGraph graph, BuildSolver solver)
{
    public async Task<CacheExportResult> ExportAsync(CacheExportSpec spec, RegistryClient client, CancellationToken ct)
    {
        ICacheStore store = spec.Kind switch
        {
            CacheStoreKind.Registry => new RegistryCacheStore(client, ParseReference(spec.Location!)),
            CacheStoreKind.Local => new LocalCacheStore(spec.Location!, spec.Tag),
            _ => throw new ArgumentException("an inline cache is written by the image exporter", nameof(spec)),
        };
        var collector = new CacheRecordCollector(root, graph, solver);
        var records = await collector.CollectAsync(spec.Mode, ct);
        // Layers go out compressed: as asked, or else gzip for the ones stored uncompressed (every layer a build made).
        records = Recompress(records, spec.Compression ?? LayerCompression.Gzip, spec.CompressionLevel, onlyUncompressed: spec.Compression is null);
        var mounts = spec.CacheMounts ? PackCacheMounts(collector) : [];
        return await CacheExporter.ExportAsync(store, records, mounts, OpenBlob, ct);
    }

    public static ImageReference ParseReference(string text) =>
        ImageReference.TryParse(text, out var reference, out var error) ? reference : throw new BuildException($"invalid cache reference \"{text}\": {error}");

    private Stream OpenBlob(Descriptor blob)
    {
        var digest = Digest.Parse(blob.Digest);
        root.RemoteBlobs.EnsureLocal(digest); // a layer only imported so far: fetched now, since this store lacks it
        return root.Content.OpenRead(digest);
    }

    private List<ExportRecord> Recompress(List<ExportRecord> records, LayerCompression compression, int? level, bool onlyUncompressed)
    {
        var converter = new LayerConverter(root);
        var converted = new Dictionary<string, Descriptor>(StringComparer.Ordinal);
        ExportLayer Convert(ExportLayer layer)
        {
            var current = LayerConverter.CompressionOf(layer.Blob.MediaType);
            if (onlyUncompressed ? current != LayerCompression.None : current == compression && level is null) return layer;
            if (!converted.TryGetValue(layer.Blob.Digest, out var blob))
            {
                var source = Digest.Parse(layer.Blob.Digest);
                root.RemoteBlobs.EnsureLocal(source);
                converted[layer.Blob.Digest] = blob = converter.Convert(source, layer.DiffId, compression, level).Blob;
            }
            return layer with { Blob = blob };
        }
        return records.Select(r => r with { Chain = r.Chain.Select(Convert).ToList() }).ToList();
    }

    /// <summary>Each cache mount the build's RUN steps use, as a gzip layer of its directory (those never created are skipped).</summary>
    private List<ExportMount> PackCacheMounts(CacheRecordCollector collector)
    {
        var mounts = new List<ExportMount>();
        var ids = collector.ExecSteps().SelectMany(e => e.Mounts).Where(m => m.Type == ExecMountType.Cache)
            .Select(m => CacheMounts.HashId(m.Id ?? m.Target)).Distinct(StringComparer.Ordinal);
        foreach (var hash in ids)
        {
            var directory = Path.Combine(root.Path, CacheMounts.DirectoryName, hash);
            if (!Directory.Exists(directory)) continue;
            using var hold = CacheMounts.LockForExport(root, hash); // a locked mount is not read while a step writes it
            LayerWriteResult written;
            using (var writer = root.Content.BeginWrite())
            {
                written = LayerTarWriter.Write(directory, writer, new LayerWriteOptions { Compression = LayerCompression.Gzip });
                writer.Commit(written.BlobDigest);
            }
            mounts.Add(new ExportMount(hash, written.ToDescriptor()));
        }
        return mounts;
    }
}
