using Csbuild.Cache;
using Csbuild.Cache.Remote;
using Csbuild.Oci.Registry;
using Csbuild.Solver;
using Csbuild.Solver.Graph;
using Csbuild.Solver.RemoteCache;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>--cache-from</c> and <c>--cache-to</c>: imports are read before the build (a missing or broken cache is a
/// warning, never a failed build, as BuildKit); exports are written after the image outputs.
/// </summary>
internal static class BuildCacheFlags
{
    public static List<CacheImportSpec> ParseImports(IEnumerable<string> values) => values.Select(v => Parse(() => CacheImportSpec.Parse(v))).ToList();

    public static List<CacheExportSpec> ParseExports(IEnumerable<string> values)
    {
        var specs = values.Select(v => Parse(() => CacheExportSpec.Parse(v))).ToList();
        if (specs.Count(s => s.Kind == CacheStoreKind.Inline) > 1) throw new CliException("--cache-to type=inline is given twice");
        return specs;
    }

    /// <summary>Reads each cache's manifest and config (no layer is downloaded); null when no --cache-from was given.</summary>
    public static async Task<ImportedCache?> LoadAsync(IReadOnlyList<CacheImportSpec> specs, RegistryClient client, string platform,
        List<string> warnings, CancellationToken ct)
    {
        if (specs.Count == 0) return null;
        var loaded = new List<LoadedCache>();
        foreach (var spec in specs)
        {
            ICacheStore store = spec.Kind == CacheStoreKind.Registry
                ? new RegistryCacheStore(client, Reference(spec.Location))
                : new LocalCacheStore(spec.Location, spec.Tag);
            try
            {
                if (await LoadedCache.LoadAsync(store, platform, ct) is { } cache) loaded.Add(cache);
                else warnings.Add($"warning: cache import from {store.Name}: not found; building without it");
            }
            catch (Exception e) when (e is RegistryException or InvalidDataException or IOException or HttpRequestException or UnauthorizedAccessException)
            {
                warnings.Add($"warning: cache import from {store.Name} failed: {e.Message}; building without it");
            }
        }
        return new ImportedCache(loaded);
    }

    /// <summary>Writes every registry and directory export; a failure fails the build unless the export says ignore-error=true.</summary>
    public static async Task ExportAsync(IReadOnlyList<CacheExportSpec> specs, CsbuildRoot root, BuildGraph graph, BuildSolver solver,
        RegistryClient client, List<string> warnings, CancellationToken ct)
    {
        foreach (var spec in specs.Where(s => s.Kind != CacheStoreKind.Inline))
        {
            try
            {
                var result = await new BuildCacheExporter(root, graph, solver).ExportAsync(spec, client, ct);
                Console.Error.WriteLine($"exporting cache to {spec} (mode={spec.Mode.ToString().ToLowerInvariant()}): {result.Records} records, "
                    + $"{result.Layers} layers, {result.BlobsUploaded} blobs written, {result.BlobsSkipped} already there, manifest {result.Manifest} done");
            }
            catch (Exception e) when (spec.IgnoreError && e is not OperationCanceledException)
            {
                warnings.Add($"warning: cache export to {spec} failed: {e.Message} (ignored: ignore-error=true)");
            }
        }
    }

    private static ImageReference Reference(string text) =>
        ImageReference.TryParse(text, out var reference, out var error) ? reference : throw new CliException($"invalid --cache-from reference \"{text}\": {error}");

    private static T Parse<T>(Func<T> parse)
    {
        try { return parse(); }
        catch (FormatException e) { throw new CliException(e.Message); }
    }
}
