using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Csbuild.Cache;
using Csbuild.Cache.Gc;
using Csbuild.Oci.Model;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>csbuild inspect NAME...</c>: what the local store holds for images, as JSON. By default a JSON array with one
/// object per image (as <c>docker image inspect</c>): <c>Digest</c>, <c>MediaType</c>, <c>Size</c> (of the manifest),
/// <c>Names</c> (every name pointing at it), <c>Platform</c>, <c>LayersSize</c> (the layer blobs as stored), then the stored
/// <c>Manifest</c> and <c>Config</c> documents themselves. <c>--raw</c> prints the manifest bytes exactly as stored
/// (as <c>docker buildx imagetools inspect --raw</c>), <c>--config</c> the config blob (as <c>skopeo inspect --config</c>).
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("NAME") { Description = "Image name[:tag], digest or short id", Arity = ArgumentArity.OneOrMore };
        var raw = new Option<bool>("--raw") { Description = "Print the manifest (or index) exactly as stored, byte for byte" };
        var config = new Option<bool>("--config") { Description = "Print the image config blob exactly as stored" };
        var command = new Command("inspect", "Show the manifest and config of local images as JSON") { names, raw, config };
        command.SetAction((parse, ct) => CommandErrors.Run(async () =>
        {
            var wanted = parse.GetValue(names)!;
            bool isRaw = parse.GetValue(raw), isConfig = parse.GetValue(config);
            if (isRaw && isConfig) throw new CliException("--raw and --config cannot be used together");
            if ((isRaw || isConfig) && wanted.Length != 1) throw new CliException("--raw and --config print one document: give exactly one NAME");

            using var root = CommonOptions.OpenRoot(parse, LeaseRegistration.OnFirstLease);
            var images = wanted.Select(n => (Name: n, Image: LocalImageLookup.Find(root, n))).ToList();
            using var stdout = Console.OpenStandardOutput();
            if (isRaw)
            {
                await stdout.WriteAsync(root.Content.ReadAllBytes(images[0].Image.ManifestDigest), ct);
                return ExitCodes.Ok;
            }
            if (isConfig)
            {
                var manifest = LocalImageLookup.ReadManifest(root, images[0].Image, images[0].Name);
                await stdout.WriteAsync(root.Content.ReadAllBytes(Digest.Parse(manifest.Config.Digest)), ct);
                return ExitCodes.Ok;
            }

            using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                writer.WriteStartArray();
                foreach (var (name, image) in images) WriteImage(writer, root, image);
                writer.WriteEndArray();
            }
            await stdout.WriteAsync("\n"u8.ToArray(), ct);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void WriteImage(Utf8JsonWriter writer, CsbuildRoot root, LocalImage image)
    {
        var manifestBytes = root.Content.ReadAllBytes(image.ManifestDigest);
        writer.WriteStartObject();
        writer.WriteString("Digest", image.ManifestDigest.ToString());
        writer.WriteString("MediaType", image.MediaType);
        writer.WriteNumber("Size", manifestBytes.Length);
        writer.WriteStartArray("Names");
        foreach (var name in LocalImageLookup.NamesOf(root, image.ManifestDigest)) writer.WriteStringValue(name);
        writer.WriteEndArray();
        if (image.IsIndex)
        {
            WriteDocument(writer, "Manifest", manifestBytes);
            writer.WriteNull("Config");
        }
        else
        {
            var manifest = OciJson.DeserializeManifest(manifestBytes);
            var configBytes = root.Content.ReadAllBytes(Digest.Parse(manifest.Config.Digest));
            var config = OciJson.DeserializeConfig(configBytes);
            writer.WriteString("Platform", config.Variant is null ? $"{config.Os}/{config.Architecture}" : $"{config.Os}/{config.Architecture}/{config.Variant}");
            writer.WriteNumber("LayersSize", manifest.Layers.Sum(l => l.Size));
            WriteDocument(writer, "Manifest", manifestBytes);
            WriteDocument(writer, "Config", configBytes);
        }
        writer.WriteEndObject();
    }

    private static void WriteDocument(Utf8JsonWriter writer, string property, byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        writer.WritePropertyName(property);
        document.RootElement.WriteTo(writer);
    }
}
