using System.Text.Json;
using System.Text.Json.Serialization;

namespace Csbuild.Oci.Layout;

/// <summary>One entry of a docker archive's <c>manifest.json</c> (the format <c>docker save</c> writes and <c>docker load</c> reads).</summary>
public sealed class DockerArchiveManifestEntry
{
    /// <summary>Path of the config blob inside the archive.</summary>
    [JsonPropertyName("Config")] public string Config { get; set; } = "";

    /// <summary>Familiar names: <c>app:1</c>, <c>registry:5000/x/y:tag</c>.</summary>
    [JsonPropertyName("RepoTags")] public List<string>? RepoTags { get; set; }

    /// <summary>Paths of the layer tars (plain or compressed) inside the archive, bottom first.</summary>
    [JsonPropertyName("Layers")] public List<string> Layers { get; set; } = [];
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<DockerArchiveManifestEntry>))]
internal sealed partial class DockerArchiveJsonContext : JsonSerializerContext;

public static class DockerArchiveManifest
{
    public const string FileName = "manifest.json";

    public static byte[] Serialize(List<DockerArchiveManifestEntry> entries) =>
        JsonSerializer.SerializeToUtf8Bytes(entries, DockerArchiveJsonContext.Default.ListDockerArchiveManifestEntry);

    public static List<DockerArchiveManifestEntry> Deserialize(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, DockerArchiveJsonContext.Default.ListDockerArchiveManifestEntry)
                ?? throw new InvalidDataException("malformed manifest.json: null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("malformed manifest.json: " + e.Message, e);
        }
    }
}
