using Csbuild.Oci.Model;

namespace Csbuild.Containers.Image;

/// <summary>One platform's image of a multi-architecture publish, as its inner publish stored it in the csbuild root.</summary>
public sealed record PlatformImage(string RuntimeIdentifier, Digest ManifestDigest);

/// <summary>What the image index step produced: the index (GeneratedContainerDigest is its digest) and where it went.</summary>
public sealed record ImageIndexResult(Descriptor Index, byte[] IndexJson, IReadOnlyList<string> Names, string? ArchivePath, int BlobsUploaded);

/// <summary>
/// ContainerRuntimeIdentifiers: the platform images built by the inner publishes (one per runtime identifier) become
/// one OCI image index, or a Docker manifest list when the images are Docker manifests, each entry carrying the
/// os/architecture of its image's config. The index is then tagged, archived or pushed like a single image.
/// </summary>
public sealed class ContainerImageIndexBuilder(ContainerRequest request, Action<string> log)
{
    private readonly ImageOutputs _outputs = new(request, log);

    public async Task<ImageIndexResult> BuildAsync(IReadOnlyList<PlatformImage> images, CancellationToken cancellationToken)
    {
        if (images.Count == 0)
            throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, "ContainerRuntimeIdentifiers produced no image: list at least one runtime identifier");
        var names = _outputs.Names();
        var requested = _outputs.RequestedFormat();

        using var root = ContainerImageBuilder.OpenRoot(request);
        var entries = new List<Descriptor>(images.Count);
        foreach (var image in images)
        {
            var manifestJson = root.Content.ReadAllBytes(image.ManifestDigest);
            var mediaType = OciJson.PeekMediaType(manifestJson) ?? MediaTypes.OciManifest;
            var manifest = OciJson.DeserializeManifest(manifestJson);
            var config = OciJson.DeserializeConfig(root.Content.ReadAllBytes(Digest.Parse(manifest.Config.Digest)));
            var platform = new Platform { Os = config.Os, Architecture = config.Architecture, Variant = config.Variant };
            if (entries.FirstOrDefault(e => e.Platform!.ToString() == platform.ToString()) is { } duplicate)
                throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty,
                    $"ContainerRuntimeIdentifiers: {image.RuntimeIdentifier} gives a second {platform} image ({duplicate.Digest} is the first); list each platform once");
            entries.Add(new Descriptor { MediaType = mediaType, Digest = image.ManifestDigest.ToString(), Size = manifestJson.Length, Platform = platform });
            log($"{image.RuntimeIdentifier}: {platform} image {image.ManifestDigest}");
        }

        // A manifest list may only point at Docker manifests and an OCI index is meant for OCI ones; the inner publishes
        // were given the same ContainerImageFormat, so a mix means the base images' formats differ.
        var docker = entries.All(e => e.MediaType == MediaTypes.DockerManifest);
        if (!docker && entries.Any(e => e.MediaType == MediaTypes.DockerManifest))
            throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty,
                "the platform images mix Docker and OCI manifests (their base images differ in format): set ContainerImageFormat to OCI or Docker");
        if (requested == "Docker" && !docker)
            throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, "ContainerImageFormat=Docker, but the platform images are OCI manifests");
        var index = new ImageIndex { MediaType = docker ? MediaTypes.DockerManifestList : MediaTypes.OciIndex, Manifests = entries };
        var indexJson = OciJson.Serialize(index);
        var indexDigest = root.Content.Put(indexJson);
        var descriptor = new Descriptor { MediaType = index.MediaType, Digest = indexDigest.ToString(), Size = indexJson.Length };
        log($"image index {indexDigest} ({string.Join(", ", entries.Select(e => e.Platform))})");

        var published = await _outputs.PublishAsync(root, descriptor, names, cancellationToken).ConfigureAwait(false);
        return new ImageIndexResult(descriptor, indexJson, names, published.ArchivePath, published.BlobsUploaded);
    }
}
