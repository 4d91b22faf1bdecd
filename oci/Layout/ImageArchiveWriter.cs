using System.Formats.Tar;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;

namespace Csbuild.Oci.Layout;

/// <summary>
/// Writes images as one tar stream: an OCI image layout (<c>oci-layout</c>, <c>blobs/sha256/…</c>, <c>index.json</c>)
/// and, for <see cref="ImageArchiveKind.Docker"/>, Docker's <c>manifest.json</c> beside it. Blobs are copied as they
/// are stored (no recompression), each once, streamed from the source. Entries carry a fixed time, owner 0:0 and
/// fixed modes, so the same images give a byte-identical archive.
/// </summary>
public static class ImageArchiveWriter
{
    public const string LayoutFileName = "oci-layout";
    public const string IndexFileName = "index.json";
    public const string BlobsDirectory = "blobs/sha256/";

    // Manifests and indexes nested deeper than this are a loop or an abuse, not an image.
    private const int MaxIndexDepth = 4;

    /// <param name="destination">Receives the tar; left open.</param>
    /// <param name="images">The images, each with its fully qualified names (may be empty: an unnamed image).</param>
    /// <param name="timestamp">Modification time of every entry (SOURCE_DATE_EPOCH when set); the Unix epoch by default.</param>
    public static void Write(Stream destination, IReadOnlyList<ArchiveImage> images, IBlobSource blobs, ImageArchiveKind kind,
        DateTimeOffset? timestamp = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(blobs);
        if (images.Count == 0) throw new ArgumentException("an image archive needs at least one image", nameof(images));
        var time = timestamp ?? DateTimeOffset.UnixEpoch;

        var plan = new ArchivePlan(blobs);
        foreach (var image in images) plan.Add(image.Descriptor, depth: 0);

        using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        WriteBytes(tar, LayoutFileName, OciJson.Serialize(new OciLayout()), time);
        WriteDirectory(tar, "blobs/", time);
        WriteDirectory(tar, BlobsDirectory, time);
        foreach (var digest in plan.Blobs)
        {
            using var content = blobs.OpenRead(digest);
            var entry = NewEntry(TarEntryType.RegularFile, BlobPath(digest), time, 0b110_100_100);
            entry.DataStream = content;
            tar.WriteEntry(entry);
        }
        WriteBytes(tar, IndexFileName, OciJson.Serialize(BuildIndex(images)), time);
        if (kind == ImageArchiveKind.Docker)
            WriteBytes(tar, DockerArchiveManifest.FileName, DockerArchiveManifest.Serialize(BuildDockerManifest(images, plan)), time);
    }

    public static string BlobPath(Digest digest) => "blobs/" + digest.Algorithm + "/" + digest.Hex;

    /// <summary>One index entry per name, as containerd writes it: the full name, and the tag alone as the OCI ref name.</summary>
    private static ImageIndex BuildIndex(IReadOnlyList<ArchiveImage> images)
    {
        var index = new ImageIndex();
        foreach (var image in images)
        {
            if (image.Names.Count == 0)
            {
                index.Manifests.Add(Copy(image.Descriptor, null));
                continue;
            }
            foreach (var name in image.Names)
            {
                var annotations = new Dictionary<string, string> { [ArchiveAnnotations.ContainerdImageName] = name };
                if (ImageReference.TryParse(name, out var reference) && reference.Tag is { } tag)
                    annotations[ArchiveAnnotations.RefName] = tag;
                index.Manifests.Add(Copy(image.Descriptor, annotations));
            }
        }
        return index;
    }

    private static List<DockerArchiveManifestEntry> BuildDockerManifest(IReadOnlyList<ArchiveImage> images, ArchivePlan plan)
    {
        var entries = new List<DockerArchiveManifestEntry>();
        foreach (var image in images)
        {
            var repoTags = image.Names
                .Select(n => ImageReference.TryParse(n, out var r) && r.Tag is not null && r.Digest is null ? r.Familiar : null)
                .OfType<string>().ToList();
            foreach (var manifest in plan.ManifestsOf(image.Descriptor))
            {
                entries.Add(new DockerArchiveManifestEntry
                {
                    Config = BlobPath(Digest.Parse(manifest.Config.Digest)),
                    RepoTags = repoTags.Count > 0 ? repoTags : null,
                    Layers = manifest.Layers.Select(l => BlobPath(Digest.Parse(l.Digest))).ToList(),
                });
            }
        }
        return entries;
    }

    private static Descriptor Copy(Descriptor d, Dictionary<string, string>? extraAnnotations)
    {
        Dictionary<string, string>? annotations = d.Annotations is null ? null : new(d.Annotations);
        if (extraAnnotations is not null)
        {
            annotations ??= [];
            foreach (var (k, v) in extraAnnotations) annotations[k] = v;
        }
        return new Descriptor
        {
            MediaType = d.MediaType, Digest = d.Digest, Size = d.Size, Platform = d.Platform, ArtifactType = d.ArtifactType,
            Annotations = annotations is null ? null : new(annotations.OrderBy(a => a.Key, StringComparer.Ordinal)),
        };
    }

    private static PaxTarEntry NewEntry(TarEntryType type, string name, DateTimeOffset time, int mode)
    {
        // Only mtime: .NET would add atime/ctime records for a PAX entry built from a file, never for one built like this.
        var entry = new PaxTarEntry(type, name, new Dictionary<string, string>())
        {
            ModificationTime = time,
            Mode = (UnixFileMode)mode,
            Uid = 0,
            Gid = 0,
        };
        return entry;
    }

    private static void WriteBytes(TarWriter tar, string name, byte[] content, DateTimeOffset time)
    {
        var entry = NewEntry(TarEntryType.RegularFile, name, time, 0b110_100_100);
        entry.DataStream = new MemoryStream(content, writable: false);
        tar.WriteEntry(entry);
    }

    private static void WriteDirectory(TarWriter tar, string name, DateTimeOffset time) =>
        tar.WriteEntry(NewEntry(TarEntryType.Directory, name, time, 0b111_101_101));

    /// <summary>The blobs an archive needs, in a stable order (manifest, config, layers of each image in turn), each once.</summary>
    private sealed class ArchivePlan(IBlobSource source)
    {
        private readonly List<Digest> _order = [];
        private readonly HashSet<Digest> _seen = [];
        private readonly Dictionary<Digest, List<ImageManifest>> _manifests = [];

        public IReadOnlyList<Digest> Blobs => _order;

        public IReadOnlyList<ImageManifest> ManifestsOf(Descriptor descriptor) =>
            _manifests.TryGetValue(Digest.Parse(descriptor.Digest), out var list) ? list : [];

        public List<ImageManifest> Add(Descriptor descriptor, int depth)
        {
            var digest = Digest.Parse(descriptor.Digest);
            if (_manifests.TryGetValue(digest, out var known)) return known;
            if (depth > MaxIndexDepth) throw new InvalidDataException($"image index {digest} nests more than {MaxIndexDepth} levels deep");
            var bytes = ReadDocument(digest, descriptor.Size);
            var mediaType = OciJson.PeekMediaType(bytes) ?? descriptor.MediaType;
            var manifests = new List<ImageManifest>();
            if (MediaTypes.IsIndex(mediaType))
            {
                var index = OciJson.DeserializeIndex(bytes);
                AddBlob(digest);
                foreach (var child in index.Manifests)
                {
                    // Like BuildKit's exporter, platforms of an index that are not present locally are left out.
                    if (!source.Exists(Digest.Parse(child.Digest))) continue;
                    manifests.AddRange(Add(child, depth + 1));
                }
            }
            else if (MediaTypes.IsManifest(mediaType))
            {
                var manifest = OciJson.DeserializeManifest(bytes);
                AddBlob(digest);
                foreach (var blob in manifest.Layers.Prepend(manifest.Config))
                {
                    var blobDigest = Digest.Parse(blob.Digest);
                    if (!source.Exists(blobDigest))
                        throw new FileNotFoundException($"blob {blobDigest} ({blob.MediaType}) of image {digest} is not in the local store");
                    AddBlob(blobDigest);
                }
                manifests.Add(manifest);
            }
            else
            {
                throw new NotSupportedException($"{digest}: '{mediaType}' is neither an image manifest nor an index");
            }
            _manifests[digest] = manifests;
            return manifests;
        }

        private void AddBlob(Digest digest)
        {
            if (_seen.Add(digest)) _order.Add(digest);
        }

        private byte[] ReadDocument(Digest digest, long size)
        {
            if (size is < 0 or > 16 << 20) throw new InvalidDataException($"manifest {digest} has an implausible size {size}");
            using var stream = source.OpenRead(digest);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            if (Digest.Of(bytes) != digest) throw new InvalidDataException($"blob {digest} is corrupt: its content does not match its digest");
            return bytes;
        }
    }
}
