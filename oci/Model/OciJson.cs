using System.Text.Json;
using System.Text.Json.Serialization;

namespace Csbuild.Oci.Model;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(OciLayout))]
[JsonSerializable(typeof(Descriptor))]
internal sealed partial class OciJsonContext : JsonSerializerContext;

/// <summary>Canonical (compact, fixed field order) JSON for OCI documents, so equal content gives equal digests.</summary>
public static class OciJson
{
    public static byte[] Serialize(ImageManifest value) => JsonSerializer.SerializeToUtf8Bytes(value, OciJsonContext.Default.ImageManifest);
    public static byte[] Serialize(ImageIndex value) => JsonSerializer.SerializeToUtf8Bytes(value, OciJsonContext.Default.ImageIndex);
    public static byte[] Serialize(ImageConfig value) => JsonSerializer.SerializeToUtf8Bytes(value, OciJsonContext.Default.ImageConfig);
    public static byte[] Serialize(OciLayout value) => JsonSerializer.SerializeToUtf8Bytes(value, OciJsonContext.Default.OciLayout);
    public static byte[] Serialize(Descriptor value) => JsonSerializer.SerializeToUtf8Bytes(value, OciJsonContext.Default.Descriptor);

    public static ImageManifest DeserializeManifest(ReadOnlySpan<byte> json) => Deserialize(json, OciJsonContext.Default.ImageManifest, "image manifest");
    public static ImageIndex DeserializeIndex(ReadOnlySpan<byte> json) => Deserialize(json, OciJsonContext.Default.ImageIndex, "image index");
    public static ImageConfig DeserializeConfig(ReadOnlySpan<byte> json) => Deserialize(json, OciJsonContext.Default.ImageConfig, "image config");
    public static Descriptor DeserializeDescriptor(ReadOnlySpan<byte> json) => Deserialize(json, OciJsonContext.Default.Descriptor, "descriptor");

    public static ImageConfig Clone(ImageConfig config) => DeserializeConfig(Serialize(config));

    /// <summary>Reads the top-level mediaType field, to tell an index from a manifest.</summary>
    public static string? PeekMediaType(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String) return mt.GetString();
                if (doc.RootElement.TryGetProperty("manifests", out _)) return MediaTypes.OciIndex;
                if (doc.RootElement.TryGetProperty("layers", out _)) return MediaTypes.OciManifest;
            }
            return null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("malformed JSON document: " + e.Message, e);
        }
    }

    private static T Deserialize<T>(ReadOnlySpan<byte> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, info) ?? throw new InvalidDataException($"malformed {what}: null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"malformed {what}: {e.Message}", e);
        }
    }
}
