using System.Globalization;
using System.Text.Json;
using Csbuild.Oci.Model;

namespace Csbuild.Solver.Export;

/// <summary>
/// The <c>--metadata-file</c> JSON, with the keys <c>docker buildx build</c> writes: <c>containerimage.digest</c>,
/// <c>containerimage.config.digest</c>, <c>containerimage.descriptor</c> (with buildx's <c>config.digest</c> and
/// <c>org.opencontainers.image.created</c> annotations and the platform) and <c>image.name</c> (comma-separated full names).
/// </summary>
public static class BuildMetadata
{
    public static byte[] Serialize(ExportResult? image, IReadOnlyList<string> names)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (image is not null)
            {
                json.WriteString("containerimage.config.digest", image.ConfigDigest.ToString());
                json.WritePropertyName("containerimage.descriptor");
                json.WriteStartObject();
                json.WriteString("mediaType", image.Manifest.MediaType);
                json.WriteString("digest", image.Manifest.Digest);
                json.WriteNumber("size", image.Manifest.Size);
                json.WritePropertyName("annotations");
                json.WriteStartObject();
                json.WriteString("config.digest", image.ConfigDigest.ToString());
                if (image.Config.Created is { } created) json.WriteString("org.opencontainers.image.created", FormatTime(created));
                json.WriteEndObject();
                json.WritePropertyName("platform");
                json.WriteStartObject();
                json.WriteString("architecture", image.Config.Architecture);
                json.WriteString("os", image.Config.Os);
                if (image.Config.Variant is { } variant) json.WriteString("variant", variant);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteString("containerimage.digest", image.Manifest.Digest);
                if (names.Count > 0) json.WriteString("image.name", string.Join(',', names.Select(ImageArchives.CanonicalName)));
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>RFC 3339 in UTC with a Z, as Go's time.Time marshals it (no fractional part for whole seconds).</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(time.Millisecond == 0 && time.Ticks % TimeSpan.TicksPerSecond == 0
            ? "yyyy-MM-dd'T'HH:mm:ss'Z'"
            : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
