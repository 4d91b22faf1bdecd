using System.Diagnostics;
using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Containers.Layers;
using Csbuild.Containers.Registry;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Registry;

namespace Csbuild.Containers.Image;

/// <summary>What PublishContainer produced (the SDK's Generated* outputs).</summary>
public sealed record ContainerResult(
    Descriptor Manifest,
    byte[] ManifestJson,
    byte[] ConfigJson,
    IReadOnlyList<string> Names,
    IReadOnlyList<BuiltLayer> Layers,
    string? ArchivePath,
    int BlobsUploaded,
    IReadOnlyList<(ContainerDiagnostic Diagnostic, string Message)> Warnings)
{
    public Digest Digest => Digest.Parse(Manifest.Digest);
}

/// <summary>
/// Builds the image of a publish directory without a daemon and without root: pulls the base image into the csbuild
/// root (shared with the CLI), adds the publish output as layers (cached), writes config and manifest, then stores,
/// pushes or archives it. Progress lines go to <paramref name="log"/>.
/// </summary>
public sealed class ContainerImageBuilder(ContainerRequest request, Action<string> log)
{
    private readonly ImageOutputs _outputs = new(request, log);

    public async Task<ContainerResult> BuildAsync(CancellationToken cancellationToken)
    {
        var platform = RuntimePlatform.ToPlatform(request.RuntimeIdentifier);
        var baseReference = ImageOutputs.ParseReference(request.BaseImage, "ContainerBaseImage");
        var names = Names();
        var requestedFormat = _outputs.RequestedFormat();

        var clock = Stopwatch.StartNew();
        using var root = OpenRoot(request);
        log($"csbuild root {root.Path} opened in {clock.ElapsedMilliseconds} ms");
        clock.Restart();
        // The app layers' blobs do not depend on the base image: they are made while it downloads.
        var builder = new AppLayerBuilder(root, request);
        var blobs = Task.Run(() => MakeBlobs(builder, cancellationToken), cancellationToken);
        Descriptor baseDescriptor;
        string baseName;
        try
        {
            (baseDescriptor, baseName) = await ResolveBaseAsync(root, baseReference, platform, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await blobs.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false); // its staging directory is gone before the task fails
            throw;
        }
        var baseDigest = Digest.Parse(baseDescriptor.Digest);
        var baseManifest = root.Images.ReadManifest(baseDigest);
        var baseConfig = root.Images.ReadConfig(Digest.Parse(baseManifest.Config.Digest));
        RuntimePlatform.EnsureMatches(baseConfig, platform, baseName);
        // As the SDK: the base image's format unless ContainerImageFormat says otherwise.
        var format = requestedFormat ?? (baseDescriptor.MediaType == MediaTypes.DockerManifest ? "Docker" : "OCI");
        log($"base image {baseName} ({baseDigest}, {platform}, {baseManifest.Layers.Count} layers) in {clock.ElapsedMilliseconds} ms");

        string? chainId = null;
        foreach (var diffId in baseConfig.RootFs.DiffIds) chainId = LayerRecord.ComputeChainId(chainId, Digest.Parse(diffId));
        var layers = new List<BuiltLayer>();
        foreach (var blob in await blobs.ConfigureAwait(false))
        {
            var layer = builder.Stack(blob, chainId);
            chainId = layer.ChainId;
            layers.Add(layer);
        }

        var config = ImageConfigComposer.Compose(baseConfig, request, baseName, baseDigest, layers);
        var warnings = new List<(ContainerDiagnostic, string)>();
        if (config.Config.Entrypoint is not { Count: > 0 } && config.Config.Cmd is not { Count: > 0 })
            warnings.Add((ContainerDiagnostic.NoEntrypoint, "the image has neither an entrypoint nor a command: a container started from it runs nothing"));
        var configJson = OciJson.Serialize(config);
        var configDigest = root.Content.Put(configJson);
        var manifest = new ImageManifest
        {
            MediaType = format == "Docker" ? MediaTypes.DockerManifest : MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = format == "Docker" ? MediaTypes.DockerConfig : MediaTypes.OciConfig, Digest = configDigest.ToString(), Size = configJson.Length },
            Layers = baseManifest.Layers.Select(l => Layer(l.MediaType, l.Digest, l.Size, format))
                .Concat(layers.Select(l => Layer(l.MediaType, l.BlobDigest.ToString(), l.BlobSize, format))).ToList(),
        };
        var manifestJson = OciJson.Serialize(manifest);
        var manifestDigest = root.Content.Put(manifestJson);
        var descriptor = new Descriptor { MediaType = manifest.MediaType, Digest = manifestDigest.ToString(), Size = manifestJson.Length };
        log($"image {manifestDigest}");

        var published = await PublishAsync(root, descriptor, names, cancellationToken).ConfigureAwait(false);
        return new ContainerResult(descriptor, manifestJson, configJson, names, layers, published.ArchivePath, published.BlobsUploaded, warnings);
    }

    private List<LayerBlob> MakeBlobs(AppLayerBuilder builder, CancellationToken cancellationToken)
    {
        var blobs = new List<LayerBlob>();
        foreach (var plan in LayerPlanner.Plan(request.PublishDirectory, request.PublishFiles, request.Layering))
        {
            var clock = Stopwatch.StartNew();
            var blob = builder.MakeBlob(plan, cancellationToken);
            blobs.Add(blob);
            log($"layer '{plan.Name}': {plan.Files.Count} files, {blob.BlobDigest} ({blob.BlobSize} bytes) "
                + (blob.Reused ? "unchanged, reused" : $"built in {clock.ElapsedMilliseconds} ms"));
        }
        return blobs;
    }

    /// <summary>The image's names; a platform image of a multi-architecture publish is named TAG-RID, as the SDK names them.</summary>
    internal IReadOnlyList<string> Names() => _outputs.Names(request.PlatformImageOnly ? "-" + request.RuntimeIdentifier : "");

    /// <summary>Stores and tags the image, then (unless it is one platform of an index still to be made) archives or pushes it.</summary>
    internal async Task<PublishedImage> PublishAsync(CsbuildRoot root, Descriptor descriptor, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        if (!request.PlatformImageOnly) return await _outputs.PublishAsync(root, descriptor, names, cancellationToken).ConfigureAwait(false);
        foreach (var name in names) root.Images.Tag(name, descriptor);
        log($"{request.RuntimeIdentifier} image stored as {string.Join(", ", names)}; the image index is published next");
        return new PublishedImage(null, 0);
    }

    internal static CsbuildRoot OpenRoot(ContainerRequest request)
    {
        try
        {
            return CsbuildRoot.Open(request.CsbuildRoot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new ContainerBuildException(ContainerDiagnostic.RootUnavailable, $"cannot open the csbuild root '{request.CsbuildRoot}': {e.Message}", e);
        }
    }

    private async Task<(Descriptor Descriptor, string Name)> ResolveBaseAsync(CsbuildRoot root, ImageReference reference, string platform, CancellationToken cancellationToken)
    {
        var options = _outputs.ClientOptions(RegistryRole.Pull);
        if (NativeBasePull.Locate() is { } native)
        {
            var clock = Stopwatch.StartNew();
            var pulled = NativeBasePull.TryPull(native, root.Path, reference.ToString(), platform, options.InsecureRegistries, log, cancellationToken);
            // The name is checked against what this pull printed: another build may have pulled another platform meanwhile.
            if (pulled is { } digest && root.Images.Find(reference.Familiar) is { } tagged && tagged.ManifestDigest == digest)
            {
                log($"base image {reference.Familiar} pulled by the native csbuild in {clock.ElapsedMilliseconds} ms");
                return (new Descriptor { MediaType = tagged.MediaType, Digest = digest.ToString(), Size = tagged.Size }, reference.Familiar);
            }
        }
        using var client = new RegistryClient(options);
        try
        {
            var descriptor = await ImagePuller.PullAsync(root, reference, platform, client, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (descriptor, reference.Familiar);
        }
        catch (Exception e) when (e is RegistryException or HttpRequestException or ImageNotFoundException or NotSupportedException or InvalidDataException)
        {
            // An image built by `csbuild build` (or pulled earlier) serves offline, as docker uses its local images.
            if (root.Images.Find(reference.Familiar) is { } local && MediaTypes.IsManifest(local.MediaType))
            {
                log($"base image {reference.Familiar} could not be pulled ({e.Message}); using the copy in the csbuild image store");
                return (new Descriptor { MediaType = local.MediaType, Digest = local.ManifestDigest.ToString(), Size = local.Size }, reference.Familiar);
            }
            throw new ContainerBuildException(ContainerDiagnostic.BaseImageUnavailable, $"cannot pull base image {reference.Familiar} for {platform}: {e.Message}", e);
        }
    }

    /// <summary>The layer's descriptor in the output format: Docker media types for a Docker manifest, OCI ones otherwise.</summary>
    private static Descriptor Layer(string mediaType, string digest, long size, string? format)
    {
        var docker = format == "Docker";
        var type = mediaType switch
        {
            MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip => docker ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip,
            MediaTypes.OciLayer or MediaTypes.DockerLayer => docker ? MediaTypes.DockerLayer : MediaTypes.OciLayer,
            MediaTypes.OciLayerZstd when docker => throw new ContainerBuildException(ContainerDiagnostic.NotSupported,
                "the base image has zstd layers, which Docker manifests cannot describe; use ContainerImageFormat=OCI"),
            _ => mediaType,
        };
        return new Descriptor { MediaType = type, Digest = digest, Size = size };
    }
}
