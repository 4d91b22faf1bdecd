using System.Formats.Tar;
using System.Text.Json;
using Csbuild.Cache.Content;
using Csbuild.Oci.Model;

namespace Csbuild.Containers.Image;

/// <summary>
/// Writes an image as one tar that both `docker load` (manifest.json) and OCI tools (oci-layout, index.json,
/// blobs/sha256) read, like BuildKit's docker exporter. Entries are in a fixed order with fixed times, so equal
/// images give equal archives. Like the .NET SDK's archives (named .tar.gz by default), the tar itself is not compressed:
/// its layers already are, and `docker load` / skopeo read it either way. An image index (several runtime identifiers)
/// is written whole: index.json names the index, and manifest.json lists each platform's image, untagged, since docker
/// load has no notion of an index.
/// </summary>
public static class ImageArchiveWriter
{
    public static void Write(string path, ContentStore content, Descriptor image, IReadOnlyList<string> names)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var (blobs, dockerImages) = Collect(content, image, names);
        var temp = path + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            using (var tar = new TarWriter(file, TarEntryFormat.Ustar, leaveOpen: true))
            {
                WriteBytes(tar, "oci-layout", OciJson.Serialize(new OciLayout()));
                var index = new ImageIndex
                {
                    Manifests = names.Select(name => new Descriptor
                    {
                        MediaType = image.MediaType, Digest = image.Digest, Size = image.Size,
                        Annotations = new() { [Descriptor.RefNameAnnotation] = name, ["io.containerd.image.name"] = name },
                    }).ToList(),
                };
                WriteBytes(tar, "index.json", OciJson.Serialize(index));
                WriteBytes(tar, "manifest.json", DockerManifestJson(dockerImages));
                WriteDirectory(tar, "blobs/");
                WriteDirectory(tar, "blobs/sha256/");
                foreach (var blob in blobs)
                {
                    using var data = content.OpenRead(blob);
                    var entry = new UstarTarEntry(TarEntryType.RegularFile, "blobs/sha256/" + blob.Hex) { DataStream = data };
                    SetFixed(entry, 0b110_100_100);
                    tar.WriteEntry(entry);
                }
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Every blob of the image (index, manifests, configs, layers; each once, in a fixed order) and the docker load entries.</summary>
    private static (List<Digest> Blobs, List<(ImageManifest Manifest, IReadOnlyList<string> Tags)> DockerImages) Collect(
        ContentStore content, Descriptor image, IReadOnlyList<string> names)
    {
        var blobs = new List<Digest>();
        var seen = new HashSet<Digest>();
        void Add(string digest)
        {
            var parsed = Digest.Parse(digest);
            if (seen.Add(parsed)) blobs.Add(parsed);
        }
        var dockerImages = new List<(ImageManifest, IReadOnlyList<string>)>();
        void AddManifest(string digest, IReadOnlyList<string> tags)
        {
            Add(digest);
            var manifest = OciJson.DeserializeManifest(content.ReadAllBytes(Digest.Parse(digest)));
            Add(manifest.Config.Digest);
            foreach (var layer in manifest.Layers) Add(layer.Digest);
            dockerImages.Add((manifest, tags));
        }
        if (MediaTypes.IsIndex(image.MediaType))
        {
            Add(image.Digest);
            var index = OciJson.DeserializeIndex(content.ReadAllBytes(Digest.Parse(image.Digest)));
            foreach (var child in index.Manifests) AddManifest(child.Digest, []);
        }
        else
        {
            AddManifest(image.Digest, names);
        }
        return (blobs, dockerImages);
    }

    private static byte[] DockerManifestJson(List<(ImageManifest Manifest, IReadOnlyList<string> Tags)> images)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (manifest, tags) in images)
            {
                json.WriteStartObject();
                json.WriteString("Config", "blobs/sha256/" + Digest.Parse(manifest.Config.Digest).Hex);
                json.WriteStartArray("RepoTags");
                foreach (var name in tags) json.WriteStringValue(name);
                json.WriteEndArray();
                json.WriteStartArray("Layers");
                foreach (var layer in manifest.Layers) json.WriteStringValue("blobs/sha256/" + Digest.Parse(layer.Digest).Hex);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return buffer.ToArray();
    }

    private static void WriteBytes(TarWriter tar, string name, byte[] bytes)
    {
        using var data = new MemoryStream(bytes, writable: false);
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = data };
        SetFixed(entry, 0b110_100_100);
        tar.WriteEntry(entry);
    }

    private static void WriteDirectory(TarWriter tar, string name)
    {
        var entry = new UstarTarEntry(TarEntryType.Directory, name);
        SetFixed(entry, 0b111_101_101);
        tar.WriteEntry(entry);
    }

    private static void SetFixed(UstarTarEntry entry, int mode)
    {
        entry.Mode = (UnixFileMode)mode;
        entry.ModificationTime = DateTimeOffset.UnixEpoch;
        entry.Uid = 0;
        entry.Gid = 0;
    }
}
