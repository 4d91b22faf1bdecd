using System.Formats.Tar;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Layout;

/// <summary>
/// Reads an image archive in one pass (it may be a pipe): an OCI image layout tar (<c>buildx -o type=oci</c>,
/// <c>skopeo copy … oci-archive:</c>) or a docker archive (<c>docker save</c>, old and new, <c>skopeo … docker-archive:</c>).
/// Every file is streamed into the blob store as it comes (blobs under <c>blobs/sha256/</c> verified against their
/// name); only the small JSON documents are kept in memory. The images are then taken from <c>index.json</c>, with
/// names from its annotations and from <c>manifest.json</c>; an archive with only <c>manifest.json</c> (docker save
/// before 25) gets a Docker schema2 manifest made for each of its images.
/// </summary>
public static class ImageArchiveReader
{
    private const int MaxDocumentBytes = 16 << 20;
    private const int MaxEntries = 100_000;

    public static IReadOnlyList<ArchiveImage> Read(Stream archive, IBlobStore store)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(store);
        var files = new Dictionary<string, Digest>(StringComparer.Ordinal);
        byte[]? indexJson = null, manifestJson = null;
        bool sawLayout = false;
        try
        {
            using var reader = new TarReader(archive, leaveOpen: true);
            int count = 0;
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (++count > MaxEntries) throw new InvalidDataException($"image archive has more than {MaxEntries} entries");
                var name = CleanName(entry.Name);
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                    continue; // directories, and the symlinks old docker saves use to share layers, are resolved by content
                switch (name)
                {
                    case ImageArchiveWriter.IndexFileName: indexJson = ReadDocument(entry); break;
                    case DockerArchiveManifest.FileName: manifestJson = ReadDocument(entry); break;
                    case ImageArchiveWriter.LayoutFileName: ReadDocument(entry); sawLayout = true; break;
                    case "repositories": ReadDocument(entry); break; // legacy names, also in manifest.json
                    default: files[name] = StoreFile(name, entry.DataStream, store); break;
                }
            }
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException)
        {
            throw new InvalidDataException("not a valid tar archive: " + e.Message, e);
        }

        var dockerEntries = manifestJson is null ? null : DockerArchiveManifest.Deserialize(manifestJson);
        if (indexJson is not null)
            return FromIndex(OciJson.DeserializeIndex(indexJson), dockerEntries, files, store);
        if (dockerEntries is not null)
            return FromDockerManifest(dockerEntries, files, store);
        throw new InvalidDataException(sawLayout
            ? "the OCI layout in the archive has no index.json"
            : "the archive is neither an OCI image layout (no index.json) nor a docker archive (no manifest.json)");
    }

    private static string CleanName(string name)
    {
        var clean = name.Replace('\\', '/');
        while (clean.StartsWith("./", StringComparison.Ordinal)) clean = clean[2..];
        return clean.TrimStart('/');
    }

    private static byte[] ReadDocument(TarEntry entry)
    {
        if (entry.Length > MaxDocumentBytes) throw new InvalidDataException($"{entry.Name} is larger than {MaxDocumentBytes} bytes");
        var bytes = new byte[entry.Length];
        entry.DataStream!.ReadExactly(bytes);
        return bytes;
    }

    private static Digest StoreFile(string name, Stream content, IBlobStore store)
    {
        Digest? expected = null;
        if (name.StartsWith("blobs/", StringComparison.Ordinal))
        {
            var parts = name.Split('/');
            if (parts.Length != 3 || !Digest.TryParse(parts[1] + ":" + parts[2], out var d))
                throw new InvalidDataException($"unexpected file {name} in the archive's blobs directory");
            expected = d;
        }
        try
        {
            return store.Store(content, expected);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{name} in the archive is corrupt: {e.Message}", e);
        }
    }

    private static List<ArchiveImage> FromIndex(ImageIndex index, List<DockerArchiveManifestEntry>? dockerEntries,
        Dictionary<string, Digest> files, IBlobStore store)
    {
        // containerd writes one index entry per name of the same manifest: gather them back into one image.
        var images = new List<(Descriptor Descriptor, List<string> Names)>();
        foreach (var descriptor in index.Manifests)
        {
            var digest = Digest.Parse(descriptor.Digest);
            if (!store.Exists(digest)) throw new InvalidDataException($"index.json names {digest}, which is not in the archive");
            var image = images.FirstOrDefault(i => i.Descriptor.Digest == descriptor.Digest);
            if (image.Descriptor is null)
            {
                image = (new Descriptor { MediaType = descriptor.MediaType, Digest = descriptor.Digest, Size = descriptor.Size, Platform = descriptor.Platform }, []);
                images.Add(image);
            }
            if (NameOf(descriptor) is { } name && !image.Names.Contains(name)) image.Names.Add(name);
        }
        if (dockerEntries is not null)
        {
            foreach (var (descriptor, names) in images)
            {
                if (!MediaTypes.IsManifest(descriptor.MediaType)) continue;
                var manifest = OciJson.DeserializeManifest(ReadVerified(store, Digest.Parse(descriptor.Digest)));
                foreach (var entry in dockerEntries)
                    if (files.TryGetValue(CleanName(entry.Config), out var config) && config.ToString() == manifest.Config.Digest)
                        foreach (var tag in entry.RepoTags ?? [])
                            if (!names.Contains(tag)) names.Add(tag);
            }
        }
        return images.Select(i => new ArchiveImage(i.Descriptor, i.Names)).ToList();
    }

    /// <summary>containerd's full name, else an OCI ref name that is a whole reference (a bare tag names no repository).</summary>
    private static string? NameOf(Descriptor descriptor)
    {
        if (descriptor.Annotations is not { } a) return null;
        if (a.TryGetValue(ArchiveAnnotations.ContainerdImageName, out var full) && full.Length > 0) return full;
        if (a.TryGetValue(ArchiveAnnotations.RefName, out var reference) && (reference.Contains('/') || reference.Contains(':')))
            return reference;
        return null;
    }

    private static List<ArchiveImage> FromDockerManifest(List<DockerArchiveManifestEntry> entries, Dictionary<string, Digest> files, IBlobStore store)
    {
        if (entries.Count == 0) throw new InvalidDataException("manifest.json lists no images");
        var images = new List<ArchiveImage>();
        foreach (var entry in entries)
        {
            var configDigest = Resolve(files, entry.Config);
            var configBytes = ReadVerified(store, configDigest);
            var config = OciJson.DeserializeConfig(configBytes);
            if (config.RootFs.DiffIds.Count != entry.Layers.Count)
                throw new InvalidDataException($"manifest.json: {entry.Layers.Count} layers but {config.RootFs.DiffIds.Count} diff_ids in config {configDigest}");
            var manifest = new ImageManifest
            {
                MediaType = MediaTypes.DockerManifest,
                Config = new Descriptor { MediaType = MediaTypes.DockerConfig, Digest = configDigest.ToString(), Size = configBytes.Length },
                Layers = entry.Layers.Select(path => LayerDescriptor(store, Resolve(files, path))).ToList(),
            };
            var manifestBytes = OciJson.Serialize(manifest);
            var digest = store.Store(new MemoryStream(manifestBytes, writable: false), null);
            var descriptor = new Descriptor { MediaType = MediaTypes.DockerManifest, Digest = digest.ToString(), Size = manifestBytes.Length };
            images.Add(new ArchiveImage(descriptor, entry.RepoTags ?? []));
        }
        return images;
    }

    private static Digest Resolve(Dictionary<string, Digest> files, string path) =>
        files.TryGetValue(CleanName(path), out var digest) ? digest
            : throw new InvalidDataException($"manifest.json names {path}, which is not in the archive");

    private static Descriptor LayerDescriptor(IBlobStore store, Digest digest)
    {
        using var blob = store.OpenRead(digest);
        var magic = new byte[CompressionDetector.MagicLength];
        int read = blob.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        var mediaType = CompressionDetector.Detect(magic.AsSpan(0, read)) switch
        {
            LayerCompression.Gzip => MediaTypes.DockerLayerGzip,
            LayerCompression.None => MediaTypes.DockerLayer,
            _ => throw new NotSupportedException($"layer {digest}: zstd layers cannot be described by a Docker schema2 manifest"),
        };
        return new Descriptor { MediaType = mediaType, Digest = digest.ToString(), Size = blob.Length };
    }

    private static byte[] ReadVerified(IBlobStore store, Digest digest)
    {
        using var stream = store.OpenRead(digest);
        if (stream.Length > MaxDocumentBytes) throw new InvalidDataException($"document {digest} is larger than {MaxDocumentBytes} bytes");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        if (Digest.Of(bytes) != digest) throw new InvalidDataException($"blob {digest} is corrupt: its content does not match its digest");
        return bytes;
    }
}
