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
    public async Task<ContainerResult> BuildAsync(CancellationToken cancellationToken)
    {
        var platform = RuntimePlatform.ToPlatform(request.RuntimeIdentifier);
        var baseReference = ParseReference(request.BaseImage, "ContainerBaseImage");
        var names = OutputNames();
        var requestedFormat = ImageFormat();

        CsbuildRoot root;
        try
        {
            root = CsbuildRoot.Open(request.CsbuildRoot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new ContainerBuildException(ContainerDiagnostic.RootUnavailable, $"cannot open the csbuild root '{request.CsbuildRoot}': {e.Message}", e);
        }
        using (root)
        {
            var clock = Stopwatch.StartNew();
            var (baseDescriptor, baseName) = await ResolveBaseAsync(root, baseReference, platform, cancellationToken).ConfigureAwait(false);
            var baseDigest = Digest.Parse(baseDescriptor.Digest);
            var baseManifest = root.Images.ReadManifest(baseDigest);
            var baseConfig = root.Images.ReadConfig(Digest.Parse(baseManifest.Config.Digest));
            // As the SDK: the base image's format unless ContainerImageFormat says otherwise.
            var format = requestedFormat ?? (baseDescriptor.MediaType == MediaTypes.DockerManifest ? "Docker" : "OCI");
            log($"base image {baseName} ({baseDigest}, {baseManifest.Layers.Count} layers) in {clock.ElapsedMilliseconds} ms");

            string? chainId = null;
            foreach (var diffId in baseConfig.RootFs.DiffIds) chainId = LayerRecord.ComputeChainId(chainId, Digest.Parse(diffId));

            var builder = new AppLayerBuilder(root, request);
            var layers = new List<BuiltLayer>();
            foreach (var plan in LayerPlanner.Plan(request.PublishDirectory, request.PublishFiles, request.Layering))
            {
                clock.Restart();
                var layer = builder.Build(plan, chainId, cancellationToken);
                chainId = layer.ChainId;
                layers.Add(layer);
                log($"layer '{plan.Name}': {plan.Files.Count} files, {layer.BlobDigest} ({layer.BlobSize} bytes) "
                    + (layer.Reused ? "unchanged, reused" : $"built in {clock.ElapsedMilliseconds} ms"));
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

            foreach (var name in names) root.Images.Tag(name, descriptor);
            string? archive = null;
            int uploaded = 0;
            if (!string.IsNullOrWhiteSpace(request.ArchiveOutputPath))
            {
                archive = ArchivePath();
                var record = new ArchiveRecord(Path.Combine(request.IntermediateDirectory, "csbuild-container-archive.txt"));
                if (record.IsCurrent(archive, manifestDigest, names))
                {
                    log($"{archive} already holds this image, left as it is");
                }
                else
                {
                    clock.Restart();
                    try
                    {
                        ImageArchiveWriter.Write(archive, root.Content, descriptor, manifest, names);
                        record.Save(archive, manifestDigest, names);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        throw new ContainerBuildException(ContainerDiagnostic.ArchiveFailed, $"cannot write the image archive '{archive}': {e.Message}", e);
                    }
                    log($"wrote {archive} in {clock.ElapsedMilliseconds} ms");
                }
            }
            else if (!string.IsNullOrWhiteSpace(request.Registry))
            {
                uploaded = await PushAsync(root, names, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                log($"stored in the csbuild image store {root.Path} as {string.Join(", ", names)}");
            }
            return new ContainerResult(descriptor, manifestJson, configJson, names, layers, archive, uploaded, warnings);
        }
    }

    private async Task<(Descriptor Descriptor, string Name)> ResolveBaseAsync(CsbuildRoot root, ImageReference reference, string platform, CancellationToken cancellationToken)
    {
        using var client = new RegistryClient(ClientOptions(RegistryRole.Pull));
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

    private async Task<int> PushAsync(CsbuildRoot root, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        using var client = new RegistryClient(ClientOptions(RegistryRole.Push));
        int uploaded = 0;
        foreach (var name in names)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                var result = await ImagePusher.PushAsync(root, name, ImageReference.Parse(name), client, cancellationToken: cancellationToken).ConfigureAwait(false);
                uploaded += result.BlobsUploaded;
                log($"pushed {name}: {result.BlobsUploaded} blobs uploaded, {result.BlobsSkipped} already there, in {clock.ElapsedMilliseconds} ms");
            }
            catch (Exception e) when (e is RegistryException or HttpRequestException)
            {
                throw new ContainerBuildException(ContainerDiagnostic.PushFailed, $"cannot push {name}: {e.Message}", e);
            }
        }
        return uploaded;
    }

    private RegistryOptions ClientOptions(RegistryRole role)
    {
        var insecure = request.InsecureRegistries.ToList();
        if (Environment.GetEnvironmentVariable("DOTNET_CONTAINER_INSECURE_REGISTRIES") is { Length: > 0 } fromEnvironment)
            insecure.AddRange(fromEnvironment.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return new RegistryOptions { Credentials = SdkEnvironmentCredentialProvider.CreateChain(role), InsecureRegistries = insecure };
    }

    /// <summary>registry/repository:tag for every tag; without a registry, repository:tag in the local store.</summary>
    private List<string> OutputNames()
    {
        if (request.Tags.Count == 0) throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, "no image tag: set ContainerImageTag or ContainerImageTags");
        var prefix = string.IsNullOrWhiteSpace(request.Registry) ? "" : request.Registry.Trim().TrimEnd('/') + "/";
        var names = new List<string>();
        foreach (var tag in request.Tags)
        {
            var name = $"{prefix}{request.Repository}:{tag}";
            var parsed = ParseReference(name, "ContainerRepository/ContainerImageTag");
            names.Add(prefix.Length > 0 ? parsed.Registry + "/" + parsed.Repository + ":" + parsed.Tag : parsed.Familiar);
        }
        return names;
    }

    private string? ImageFormat() => request.ImageFormat?.Trim() switch
    {
        null or "" => null,
        var f when f.Equals("OCI", StringComparison.OrdinalIgnoreCase) => "OCI",
        var f when f.Equals("Docker", StringComparison.OrdinalIgnoreCase) => "Docker",
        var f => throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"ContainerImageFormat '{f}' is not OCI or Docker"),
    };

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

    private string ArchivePath()
    {
        var path = request.ArchiveOutputPath!;
        bool isDirectory = path.EndsWith('/') || path.EndsWith('\\') || Directory.Exists(path);
        return Path.GetFullPath(isDirectory ? Path.Combine(path, request.Repository.Replace('/', '-') + ".tar.gz") : path);
    }

    private static ImageReference ParseReference(string text, string property)
    {
        try
        {
            return ImageReference.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"{property}: {e.Message}", e);
        }
    }
}
