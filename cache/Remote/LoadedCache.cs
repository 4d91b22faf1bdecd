using System.Text.Json;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Remote;

/// <summary>
/// One imported cache: its config and the store its blobs stay in. Loading reads only the manifest and the cache
/// config (or, for an inline cache, the image config); layers are fetched later, only when needed.
/// </summary>
public sealed class LoadedCache
{
    private readonly Dictionary<string, CacheRecordEntry> _records;
    private readonly string?[] _chainIds;

    internal LoadedCache(ICacheStore store, CacheConfig config)
    {
        Store = store;
        Config = config;
        _records = new Dictionary<string, CacheRecordEntry>(StringComparer.Ordinal);
        foreach (var record in config.Records) _records.TryAdd(record.Key, record);
        _chainIds = new string?[config.Layers.Count];
        for (int i = 0; i < config.Layers.Count; i++)
        {
            var layer = config.Layers[i];
            var parent = layer.Parent is { } p ? _chainIds[p] : null;
            _chainIds[i] = Metadata.LayerRecord.ComputeChainId(parent, Digest.Parse(layer.DiffId));
        }
    }

    public ICacheStore Store { get; }
    public CacheConfig Config { get; }

    public CacheRecordEntry? Find(string key) => _records.GetValueOrDefault(key);

    /// <summary>The chain id of a node (as the local store computes it from diff_ids), or null for "no layer".</summary>
    public string? ChainIdOf(int? node) => node is { } n ? _chainIds[n] : null;

    /// <summary>The nodes from the bottom layer up to <paramref name="node"/>.</summary>
    public IReadOnlyList<CacheLayer> ChainOf(int? node)
    {
        var chain = new List<CacheLayer>();
        for (var n = node; n is { } i; n = Config.Layers[i].Parent) chain.Add(Config.Layers[i]);
        chain.Reverse();
        return chain;
    }

    /// <summary>Reads a cache from a store: a cache manifest, or an image whose config carries an inline cache.</summary>
    /// <returns>Null when the store has nothing under its tag.</returns>
    /// <exception cref="InvalidDataException">The manifest or config is corrupt, or the image has no cache.</exception>
    public static async Task<LoadedCache?> LoadAsync(ICacheStore store, string platform, CancellationToken cancellationToken)
    {
        var manifestBlob = await store.ReadManifestAsync(platform, cancellationToken).ConfigureAwait(false);
        if (manifestBlob is null) return null;
        var manifest = OciJson.DeserializeManifest(manifestBlob.Content);
        var configBytes = await store.ReadSmallBlobAsync(manifest.Config, cancellationToken).ConfigureAwait(false);
        if (manifest.Config.MediaType == CacheFormat.ConfigMediaType)
            return new LoadedCache(store, CacheFormat.Deserialize(configBytes));
        if (manifest.Config.MediaType is MediaTypes.OciConfig or MediaTypes.DockerConfig)
            return new LoadedCache(store, CacheFormat.Deserialize(InlineConfig(configBytes, store.Name)));
        throw new InvalidDataException($"{store.Name} holds a {manifest.Config.MediaType} artifact, not a csbuild cache");
    }

    private static byte[] InlineConfig(byte[] imageConfig, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(imageConfig);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty(CacheFormat.InlineConfigField, out var field) || field.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{name} is an image without an inline cache (build it with --cache-to type=inline)");
            return field.GetBytesFromBase64();
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new InvalidDataException($"{name}: malformed inline cache: {e.Message}", e);
        }
    }
}
