using Csbuild.Cache;
using Csbuild.Cache.Images;
using Csbuild.Oci.Layout;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver.Export;

/// <summary>A loaded image: its manifest (or index) descriptor and the names it got in the local store.</summary>
public sealed record LoadedImage(Descriptor Descriptor, IReadOnlyList<string> Names);

/// <summary>
/// Image archives and the local store: <c>csbuild save</c> (docker archive of named images), <c>csbuild load</c>
/// (docker or OCI archive into the store) and the <c>-o type=oci|docker</c> build outputs.
/// </summary>
public static class ImageArchives
{
    /// <summary>Writes named images of the store as an archive; names of the same image share one entry, as <c>docker save</c>.</summary>
    /// <exception cref="ImageNotFoundException">A name is not in the local store.</exception>
    public static void Save(CsbuildRoot root, IReadOnlyList<string> names, Stream destination, ImageArchiveKind kind)
    {
        if (names.Count == 0) throw new ArgumentException("name at least one image to save", nameof(names));
        var images = new List<(Descriptor Descriptor, List<string> Names)>();
        foreach (var name in names)
        {
            ImageRecord? record;
            try { record = root.Images.Find(name); }
            catch (FormatException e) { throw new ImageNotFoundException(name, e.Message); }
            if (record is null) throw new ImageNotFoundException(name, "it is not in the local image store (see 'csbuild images')");
            var digest = record.ManifestDigest.ToString();
            var image = images.FirstOrDefault(i => i.Descriptor.Digest == digest);
            if (image.Descriptor is null)
            {
                image = (new Descriptor { MediaType = record.MediaType, Digest = digest, Size = record.Size }, []);
                images.Add(image);
            }
            var canonical = CanonicalName(record.Name);
            if (!image.Names.Contains(canonical)) image.Names.Add(canonical);
        }
        ImageArchiveWriter.Write(destination, images.Select(i => new ArchiveImage(i.Descriptor, i.Names)).ToList(),
            new ContentStoreBlobs(root.Content), kind);
    }

    /// <summary>Writes a just-built image as an archive (<c>-o type=oci|docker</c>), annotated as BuildKit annotates it.</summary>
    public static void WriteBuildResult(CsbuildRoot root, ExportResult image, IReadOnlyList<string> names, Stream destination,
        ImageArchiveKind kind, DateTimeOffset? sourceDateEpoch)
    {
        var descriptor = new Descriptor
        {
            MediaType = image.Manifest.MediaType,
            Digest = image.Manifest.Digest,
            Size = image.Manifest.Size,
            Annotations = image.Config.Created is { } created
                ? new() { [ArchiveAnnotations.Created] = BuildMetadata.FormatTime(created) }
                : null,
        };
        var canonical = names.Select(CanonicalName).Distinct(StringComparer.Ordinal).ToList();
        ImageArchiveWriter.Write(destination, [new ArchiveImage(descriptor, canonical)], new ContentStoreBlobs(root.Content), kind,
            sourceDateEpoch);
    }

    /// <summary>Reads an archive into the store and names its images; unnamed images are stored and reported by digest.</summary>
    public static IReadOnlyList<LoadedImage> Load(CsbuildRoot root, Stream archive)
    {
        var images = ImageArchiveReader.Read(archive, new ContentStoreBlobs(root.Content));
        var loaded = new List<LoadedImage>();
        foreach (var image in images)
        {
            var names = new List<string>();
            foreach (var name in image.Names)
            {
                string normalized;
                try { normalized = ImageName.Normalize(name); }
                catch (FormatException e) { throw new InvalidDataException($"the archive names an image '{name}': {e.Message}", e); }
                if (names.Contains(normalized)) continue;
                root.Images.Tag(normalized, image.Descriptor);
                names.Add(normalized);
            }
            loaded.Add(new LoadedImage(image.Descriptor, names));
        }
        return loaded;
    }

    /// <summary><c>app:1</c> → <c>docker.io/library/app:1</c>, the form index.json annotations and buildx metadata use.</summary>
    public static string CanonicalName(string name) =>
        ImageReference.TryParse(name, out var reference) ? reference.Canonical : name;
}
