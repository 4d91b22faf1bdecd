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
    // Go's encoding/json (and so BuildKit, containerd, skopeo) writes '+' in media types as is; the default
    // .NET encoder would write \u002B, giving the same document different bytes and digests than other tools.
    private static readonly OciJsonContext Context = new(new JsonSerializerOptions
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });

    public static byte[] Serialize(ImageManifest value) => JsonSerializer.SerializeToUtf8Bytes(value, Context.ImageManifest);
    public static byte[] Serialize(ImageIndex value) => JsonSerializer.SerializeToUtf8Bytes(value, Context.ImageIndex);
    public static byte[] Serialize(ImageConfig value) => JsonSerializer.SerializeToUtf8Bytes(value, Context.ImageConfig);
    public static byte[] Serialize(OciLayout value) => JsonSerializer.SerializeToUtf8Bytes(value, Context.OciLayout);
    public static byte[] Serialize(Descriptor value) => JsonSerializer.SerializeToUtf8Bytes(value, Context.Descriptor);

    public static ImageManifest DeserializeManifest(ReadOnlySpan<byte> json) => Deserialize(json, Context.ImageManifest, "image manifest");
    public static ImageIndex DeserializeIndex(ReadOnlySpan<byte> json) => Deserialize(json, Context.ImageIndex, "image index");
    public static ImageConfig DeserializeConfig(ReadOnlySpan<byte> json) => Deserialize(json, Context.ImageConfig, "image config");
    public static Descriptor DeserializeDescriptor(ReadOnlySpan<byte> json) => Deserialize(json, Context.Descriptor, "descriptor");

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
