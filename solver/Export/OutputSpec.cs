using Csbuild.Oci.Compression;

namespace Csbuild.Solver.Export;

/// <summary>Where a build result goes (<c>--output type=…</c>), as <c>docker buildx build</c> names the exporters.</summary>
public enum OutputKind
{
    /// <summary>The local image store (the default), tagged with the image names.</summary>
    Image,

    /// <summary>The local image store, then pushed to the registry of each name.</summary>
    Registry,

    /// <summary>An OCI image layout, as a tar file (or a directory with <c>tar=false</c>).</summary>
    Oci,

    /// <summary>A docker archive that <c>docker load</c> reads.</summary>
    Docker,

    /// <summary>The final filesystem, written into a directory.</summary>
    Local,

    /// <summary>The final filesystem, as a tar file.</summary>
    Tar,
}

/// <summary>
/// One <c>--output</c>: <c>type=oci,dest=out.tar,compression=zstd</c> (CSV, values may be double-quoted so a value can
/// hold commas: <c>name="a:1,b:1"</c>), or the shorthands <c>PATH</c> (type=local) and <c>-</c> (type=tar on stdout).
/// </summary>
public sealed record OutputSpec
{
    public required OutputKind Kind { get; init; }

    /// <summary>File or directory for oci, docker, local and tar; <c>-</c> is standard output.</summary>
    public string? Destination { get; init; }

    /// <summary>Image names from <c>name=</c>; empty means the build's <c>--tag</c>s.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary><c>push=true</c>, implied by type=registry.</summary>
    public bool Push { get; init; }

    public ImageExportOptions Image { get; init; } = ImageExportOptions.Default;

    public bool WritesImage => Kind is OutputKind.Image or OutputKind.Registry or OutputKind.Oci or OutputKind.Docker;

    /// <summary>
    /// What the image exporter is asked for. The local store keeps the layers as stored (built ones uncompressed) unless
    /// a compression was named; a push, an archive, an inline cache or force-compression gets compressed layers
    /// (<see cref="ImageExportOptions.ForTransfer"/>), as BuildKit's exporters write them.
    /// </summary>
    public ImageExportOptions ExportOptions =>
        Kind == OutputKind.Image && !Push && !Image.InlineCache && !Image.ForceCompression ? Image : Image.ForTransfer();

    /// <param name="defaultOciMediaTypes">What <c>oci-mediatypes</c> is when the output does not say (<c>--oci-mediatypes</c>); null: per type.</param>
    public static OutputSpec Parse(string text, bool? defaultOciMediaTypes = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new FormatException("empty --output");
        if (!text.Contains('=') && !text.Contains(','))
            return text == "-" ? new OutputSpec { Kind = OutputKind.Tar, Destination = "-" } : new OutputSpec { Kind = OutputKind.Local, Destination = text };

        var attributes = CsvFields.Attributes(text, "--output");
        if (!attributes.Remove("type", out var typeText))
            throw new FormatException($"invalid --output '{text}': type is required (image, registry, oci, docker, local or tar)");
        var kind = typeText switch
        {
            "image" => OutputKind.Image,
            "registry" => OutputKind.Registry,
            "oci" => OutputKind.Oci,
            "docker" => OutputKind.Docker,
            "local" => OutputKind.Local,
            "tar" => OutputKind.Tar,
            _ => throw new FormatException($"invalid --output '{text}': unknown type '{typeText}' (image, registry, oci, docker, local or tar)"),
        };

        string? destination = Take(attributes, "dest");
        if (kind is OutputKind.Local or OutputKind.Tar or OutputKind.Oci or OutputKind.Docker && string.IsNullOrEmpty(destination))
            throw new FormatException($"invalid --output '{text}': type={typeText} needs dest=PATH");
        if (kind is OutputKind.Image or OutputKind.Registry && destination is not null)
            throw new FormatException($"invalid --output '{text}': type={typeText} takes no dest");
        if (kind == OutputKind.Local && destination == "-")
            throw new FormatException($"invalid --output '{text}': type=local needs a directory; use type=tar,dest=- for standard output");

        var names = (Take(attributes, "name") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var push = kind == OutputKind.Registry || Bool(attributes, "push", text) == true;
        var imageOptions = ParseImageOptions(attributes, defaultOciMediaTypes ?? kind != OutputKind.Docker, text);
        // Accepted as buildx accepts them; the local store always keeps the image, so there is nothing else to do.
        Take(attributes, "store");
        Take(attributes, "unpack");
        if (attributes.Count > 0)
            throw new FormatException($"invalid --output '{text}': unknown option(s) {string.Join(", ", attributes.Keys)} for type={typeText}");
        if (push && kind is not (OutputKind.Image or OutputKind.Registry))
            throw new FormatException($"invalid --output '{text}': push=true only goes with type=image or type=registry");
        if (!WritesImageKind(kind) && imageOptions with { OciMediaTypes = true } != ImageExportOptions.Default)
            throw new FormatException($"invalid --output '{text}': type={typeText} writes files, not an image; compression options do not apply");
        return new OutputSpec { Kind = kind, Destination = destination, Names = names, Push = push, Image = imageOptions };
    }

    private static bool WritesImageKind(OutputKind kind) => kind is OutputKind.Image or OutputKind.Registry or OutputKind.Oci or OutputKind.Docker;

    private static ImageExportOptions ParseImageOptions(Dictionary<string, string> attributes, bool ociDefault, string text)
    {
        var compressionText = Take(attributes, "compression");
        LayerCompression? compression = compressionText switch
        {
            null => null,
            "gzip" => LayerCompression.Gzip,
            "zstd" => LayerCompression.Zstd,
            "uncompressed" => LayerCompression.None,
            "estargz" => throw new FormatException($"invalid --output '{text}': estargz compression is not supported (use gzip, zstd or uncompressed)"),
            _ => throw new FormatException($"invalid --output '{text}': unknown compression '{compressionText}' (gzip, zstd or uncompressed)"),
        };
        int? level = null;
        if (Take(attributes, "compression-level") is { } levelText)
        {
            if (!int.TryParse(levelText, out var parsed)) throw new FormatException($"invalid --output '{text}': compression-level must be a number");
            var (min, max) = (compression ?? LayerCompression.Gzip) switch { LayerCompression.Gzip => (0, 9), LayerCompression.Zstd => (-7, 22), _ => (0, -1) };
            if (max < min) throw new FormatException($"invalid --output '{text}': uncompressed layers take no compression-level");
            if (parsed < min || parsed > max) throw new FormatException($"invalid --output '{text}': {compressionText ?? "gzip"} compression-level must be {min}..{max}");
            level = parsed;
        }
        var force = Bool(attributes, "force-compression", text) ?? false;
        // buildx's docker exporter writes Docker media types unless asked otherwise; every other exporter OCI ones.
        var oci = Bool(attributes, "oci-mediatypes", text) ?? ociDefault;
        return new ImageExportOptions { Compression = compression, CompressionLevel = level, ForceCompression = force, OciMediaTypes = oci };
    }

    private static string? Take(Dictionary<string, string> attributes, string key) =>
        attributes.Remove(key, out var value) ? value : null;

    private static bool? Bool(Dictionary<string, string> attributes, string key, string text) => Take(attributes, key) switch
    {
        null => null,
        "" or "true" or "1" => true,
        "false" or "0" => false,
        var other => throw new FormatException($"invalid --output '{text}': {key}={other} is not true or false"),
    };
}
