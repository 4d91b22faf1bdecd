using System.Text.Json;
using System.Text.Json.Serialization;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Remote;

/// <summary>
/// The cache config blob of an exported build cache (docs/cache-format.md): the layer chains the records need,
/// each node naming its parent node, and the records (cache key → top node) that point into them. Nothing in it
/// is machine-specific: keys are content digests, layers are addressed by digest and diff_id.
/// </summary>
public sealed class CacheConfig
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("version")] public int Version { get; set; } = CurrentVersion;
    [JsonPropertyName("layers")] public List<CacheLayer> Layers { get; set; } = [];
    [JsonPropertyName("records")] public List<CacheRecordEntry> Records { get; set; } = [];
    [JsonPropertyName("mounts")] public List<CacheMountEntry>? Mounts { get; set; }
}

/// <summary>One node of a layer chain: a layer blob on top of the chain ending at node <see cref="Parent"/>.</summary>
public sealed class CacheLayer
{
    [JsonPropertyName("blob")] public Descriptor Blob { get; set; } = new();
    [JsonPropertyName("diffID")] public string DiffId { get; set; } = "";
    /// <summary>Index of the node below this one in <see cref="CacheConfig.Layers"/>; null for a bottom layer.</summary>
    [JsonPropertyName("parent")] public int? Parent { get; set; }
}

/// <summary>A step's result: its cache key, the node its result is (null: the empty filesystem) and the node it ran on.</summary>
public sealed class CacheRecordEntry
{
    [JsonPropertyName("key")] public string Key { get; set; } = "";
    [JsonPropertyName("layer")] public int? Layer { get; set; }
    [JsonPropertyName("base")] public int? Base { get; set; }
    /// <summary>When the step was first built: image history times come from it, so imported builds give equal digests.</summary>
    [JsonPropertyName("created")] public DateTimeOffset Created { get; set; }
}

/// <summary>The contents of a <c>RUN --mount=type=cache</c> directory, as a layer tarball (cache-mounts=true).</summary>
public sealed class CacheMountEntry
{
    /// <summary>sha256 of the mount id: ids are never used as paths.</summary>
    [JsonPropertyName("id")] public string IdHash { get; set; } = "";
    [JsonPropertyName("blob")] public Descriptor Blob { get; set; } = new();
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CacheConfig))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;

/// <summary>Media types and (de)serialization of the exported cache.</summary>
public static class CacheFormat
{
    /// <summary>The cache config blob (the manifest's config).</summary>
    public const string ConfigMediaType = "application/vnd.csbuild.cache.config.v1+json";

    /// <summary>The manifest's artifactType: tells a cache manifest from an image manifest.</summary>
    public const string ArtifactType = "application/vnd.csbuild.cache.v1";

    /// <summary>The image-config field holding an inline cache (base64 of the cache config), as BuildKit's moby.buildkit.cache.v0.</summary>
    public const string InlineConfigField = "csbuild.cache.v1";

    /// <summary>The manifest annotation marking a layer that holds a cache mount's contents.</summary>
    public const string MountAnnotation = "dev.csbuild.cache.mount";

    private static readonly CacheJsonContext Context = new(new JsonSerializerOptions
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });

    public static byte[] Serialize(CacheConfig config) => JsonSerializer.SerializeToUtf8Bytes(config, Context.CacheConfig);

    /// <exception cref="InvalidDataException">Not a cache config this version understands, or inconsistent.</exception>
    public static CacheConfig Deserialize(ReadOnlySpan<byte> json)
    {
        CacheConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(json, Context.CacheConfig);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("malformed cache config: " + e.Message, e);
        }
        if (config is null) throw new InvalidDataException("malformed cache config: null");
        if (config.Version != CacheConfig.CurrentVersion)
            throw new InvalidDataException($"cache config version {config.Version} is not supported (this csbuild reads version {CacheConfig.CurrentVersion})");
        Validate(config);
        return config;
    }

    private static void Validate(CacheConfig config)
    {
        for (int i = 0; i < config.Layers.Count; i++)
        {
            var layer = config.Layers[i];
            // Parents point down the list, so chains cannot loop.
            if (layer.Parent is { } p && (p < 0 || p >= i))
                throw new InvalidDataException($"cache config layer {i} has parent {p}; parents must come earlier in the list");
            if (!Digest.TryParse(layer.DiffId, out _) || !Digest.TryParse(layer.Blob.Digest, out _) || layer.Blob.Size < 0)
                throw new InvalidDataException($"cache config layer {i} has an invalid digest, diffID or size");
        }
        foreach (var record in config.Records)
        {
            if (!Digest.TryParse(record.Key, out _)) throw new InvalidDataException($"cache config record key '{record.Key}' is not a digest");
            if (record.Layer is { } l && (l < 0 || l >= config.Layers.Count) || record.Base is { } b && (b < 0 || b >= config.Layers.Count))
                throw new InvalidDataException($"cache config record {record.Key} points at a layer that is not in the config");
        }
        foreach (var mount in config.Mounts ?? [])
            if (mount.IdHash.Length != 64 || !Digest.TryParse(mount.Blob.Digest, out _))
                throw new InvalidDataException($"cache config mount '{mount.IdHash}' is invalid");
    }
}
