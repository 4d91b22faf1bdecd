using System.Formats.Tar;
using System.Text.Json;
using Csbuild.Cache.Content;
using Csbuild.Oci.Model;

namespace Csbuild.Containers.Image;

/// <summary>
/// Writes an image as one tar that both `docker load` (manifest.json) and OCI tools (oci-layout, index.json,
/// blobs/sha256) read, like BuildKit's docker exporter. Entries are in a fixed order with fixed times, so equal
/// images give equal archives. Like the .NET SDK's archives (named .tar.gz by default), the tar itself is not compressed:
/// its layers already are, and `docker load` / skopeo read it either way.
/// </summary>
public static class ImageArchiveWriter
{
    public static void Write(string path, ContentStore content, Descriptor manifest, ImageManifest imageManifest, IReadOnlyList<string> names)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
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
                        MediaType = manifest.MediaType, Digest = manifest.Digest, Size = manifest.Size,
                        Annotations = new() { [Descriptor.RefNameAnnotation] = name, ["io.containerd.image.name"] = name },
                    }).ToList(),
                };
                WriteBytes(tar, "index.json", OciJson.Serialize(index));
                WriteBytes(tar, "manifest.json", DockerManifestJson(imageManifest, names));
                WriteDirectory(tar, "blobs/");
                WriteDirectory(tar, "blobs/sha256/");
                var blobs = new List<Descriptor> { manifest, imageManifest.Config };
                blobs.AddRange(imageManifest.Layers);
                foreach (var blob in blobs.DistinctBy(b => b.Digest))
                {
                    var digest = Digest.Parse(blob.Digest);
                    using var data = content.OpenRead(digest);
                    var entry = new UstarTarEntry(TarEntryType.RegularFile, "blobs/sha256/" + digest.Hex) { DataStream = data };
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

    private static byte[] DockerManifestJson(ImageManifest manifest, IReadOnlyList<string> names)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            json.WriteStartObject();
            json.WriteString("Config", "blobs/sha256/" + Digest.Parse(manifest.Config.Digest).Hex);
            json.WriteStartArray("RepoTags");
            foreach (var name in names) json.WriteStringValue(name);
            json.WriteEndArray();
            json.WriteStartArray("Layers");
            foreach (var layer in manifest.Layers) json.WriteStringValue("blobs/sha256/" + Digest.Parse(layer.Digest).Hex);
            json.WriteEndArray();
            json.WriteEndObject();
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
