using Csbuild.Oci.Compression;
using Csbuild.Solver.Export;

namespace Csbuild.Solver.RemoteCache;

public enum CacheStoreKind { Registry, Local, Inline }

/// <summary><c>mode=min</c>: the records of the final image's layers; <c>mode=max</c>: every step of every stage.</summary>
public enum CacheExportMode { Min, Max }

/// <summary>One <c>--cache-from</c>: where to look for cache records.</summary>
public sealed record CacheImportSpec(CacheStoreKind Kind, string Location, string Tag)
{
    public override string ToString() => Kind switch
    {
        CacheStoreKind.Registry => $"registry {Location}",
        _ => $"directory {Location} (tag {Tag})",
    };

    /// <summary>Parses buildx's syntax: <c>type=registry,ref=R</c>, <c>type=local,src=DIR[,tag=T]</c>, or a bare reference.</summary>
    /// <exception cref="FormatException">With a one-line message naming the flag.</exception>
    public static CacheImportSpec Parse(string text)
    {
        const string flag = "--cache-from";
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException($"empty {flag}");
        if (!text.Contains('=')) return new CacheImportSpec(CacheStoreKind.Registry, text, CacheSpecs.DefaultTag);
        var attributes = CsvFields.Attributes(text, flag);
        var kind = CacheSpecs.TakeKind(attributes, text, flag);
        CacheImportSpec spec = kind switch
        {
            CacheStoreKind.Registry => new(kind, CacheSpecs.Require(attributes, "ref", text, flag), CacheSpecs.DefaultTag),
            CacheStoreKind.Local => new(kind, CacheSpecs.Require(attributes, "src", text, flag), CacheSpecs.Take(attributes, "tag") ?? CacheSpecs.DefaultTag),
            _ => throw new FormatException($"invalid {flag} '{text}': type=inline is for --cache-to; import an inline cache with type=registry,ref=IMAGE"),
        };
        // buildx accepts these on import; they change nothing here.
        CacheSpecs.Take(attributes, "mode");
        CacheSpecs.Take(attributes, "digest");
        CacheSpecs.RejectUnknown(attributes, text, flag);
        return spec;
    }
}

/// <summary>One <c>--cache-to</c>: where and what to export.</summary>
public sealed record CacheExportSpec(CacheStoreKind Kind, string? Location, string Tag)
{
    public CacheExportMode Mode { get; init; } = CacheExportMode.Min;

    /// <summary>Compression of layers the cache stores; null keeps compressed layers as they are and gzips uncompressed ones.</summary>
    public LayerCompression? Compression { get; init; }

    public int? CompressionLevel { get; init; }

    /// <summary><c>cache-mounts=true</c>: also export the contents of <c>RUN --mount=type=cache</c> directories.</summary>
    public bool CacheMounts { get; init; }

    /// <summary><c>ignore-error=true</c>: a failed export is a warning, not a failed build.</summary>
    public bool IgnoreError { get; init; }

    public override string ToString() => Kind switch
    {
        CacheStoreKind.Registry => $"registry {Location}",
        CacheStoreKind.Local => $"directory {Location}",
        _ => "inline",
    };

    /// <exception cref="FormatException">With a one-line message naming the flag.</exception>
    public static CacheExportSpec Parse(string text)
    {
        const string flag = "--cache-to";
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException($"empty {flag}");
        if (!text.Contains('=')) return new CacheExportSpec(CacheStoreKind.Registry, text, CacheSpecs.DefaultTag);
        var attributes = CsvFields.Attributes(text, flag);
        var kind = CacheSpecs.TakeKind(attributes, text, flag);
        var spec = kind switch
        {
            CacheStoreKind.Registry => new CacheExportSpec(kind, CacheSpecs.Require(attributes, "ref", text, flag), CacheSpecs.DefaultTag),
            CacheStoreKind.Local => new CacheExportSpec(kind, CacheSpecs.Require(attributes, "dest", text, flag), CacheSpecs.Take(attributes, "tag") ?? CacheSpecs.DefaultTag),
            _ => new CacheExportSpec(kind, null, CacheSpecs.DefaultTag),
        };
        var mode = CacheSpecs.Take(attributes, "mode") switch
        {
            null or "min" => CacheExportMode.Min,
            "max" => CacheExportMode.Max,
            var other => throw new FormatException($"invalid {flag} '{text}': mode={other} (min or max)"),
        };
        if (kind == CacheStoreKind.Inline && mode == CacheExportMode.Max)
            throw new FormatException($"invalid {flag} '{text}': an inline cache holds only the image's own layers; mode=max needs type=registry or type=local");
        var compressionText = CacheSpecs.Take(attributes, "compression");
        LayerCompression? compression = compressionText switch
        {
            null => null,
            "gzip" => LayerCompression.Gzip,
            "zstd" => LayerCompression.Zstd,
            "uncompressed" => LayerCompression.None,
            _ => throw new FormatException($"invalid {flag} '{text}': unknown compression '{compressionText}' (gzip, zstd or uncompressed)"),
        };
        int? level = null;
        if (CacheSpecs.Take(attributes, "compression-level") is { } levelText)
        {
            if (!int.TryParse(levelText, out var parsed) || compression is null or LayerCompression.None)
                throw new FormatException($"invalid {flag} '{text}': compression-level needs a number and compression=gzip or zstd");
            level = parsed;
        }
        var mounts = CacheSpecs.Bool(attributes, "cache-mounts", text, flag) ?? false;
        var ignoreError = CacheSpecs.Bool(attributes, "ignore-error", text, flag) ?? false;
        if (kind == CacheStoreKind.Inline && (compression is not null || mounts))
            throw new FormatException($"invalid {flag} '{text}': type=inline takes neither compression nor cache-mounts (they go with the image's own layers)");
        // Accepted for buildx compatibility: every cache manifest here is an OCI manifest.
        CacheSpecs.Take(attributes, "oci-mediatypes");
        CacheSpecs.Take(attributes, "image-manifest");
        CacheSpecs.RejectUnknown(attributes, text, flag);
        return spec with { Mode = mode, Compression = compression, CompressionLevel = level, CacheMounts = mounts, IgnoreError = ignoreError };
    }
}

internal static class CacheSpecs
{
    /// <summary>The tag of a cache in a local directory when none is given, as BuildKit's local cache.</summary>
    public const string DefaultTag = "latest";

    public static CacheStoreKind TakeKind(Dictionary<string, string> attributes, string text, string flag)
    {
        var type = Take(attributes, "type");
        return type switch
        {
            null => throw new FormatException($"invalid {flag} '{text}': type is required (registry, local or inline)"),
            "registry" => CacheStoreKind.Registry,
            "local" => CacheStoreKind.Local,
            "inline" => CacheStoreKind.Inline,
            "gha" or "s3" or "azblob" => throw new FormatException(
                $"invalid {flag} '{text}': type={type} is not supported; use type=registry (any OCI registry) or type=local (a directory CI keeps)"),
            _ => throw new FormatException($"invalid {flag} '{text}': unknown type '{type}' (registry, local or inline)"),
        };
    }

    public static string? Take(Dictionary<string, string> attributes, string key) => attributes.Remove(key, out var value) ? value : null;

    public static string Require(Dictionary<string, string> attributes, string key, string text, string flag) =>
        Take(attributes, key) is { Length: > 0 } value ? value : throw new FormatException($"invalid {flag} '{text}': {key}= is required");

    public static bool? Bool(Dictionary<string, string> attributes, string key, string text, string flag) => Take(attributes, key) switch
    {
        null => null,
        "" or "true" or "1" => true,
        "false" or "0" => false,
        var other => throw new FormatException($"invalid {flag} '{text}': {key}={other} is not true or false"),
    };

    public static void RejectUnknown(Dictionary<string, string> attributes, string text, string flag)
    {
        if (attributes.Count > 0) throw new FormatException($"invalid {flag} '{text}': unknown option(s) {string.Join(", ", attributes.Keys)}");
    }
}
