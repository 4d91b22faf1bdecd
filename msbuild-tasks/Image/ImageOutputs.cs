using System.Diagnostics;
using Csbuild.Cache;
using Csbuild.Containers.Registry;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;
using Csbuild.Solver.Registry;

namespace Csbuild.Containers.Image;

/// <summary>Where an image went: the archive written (if any) and how many blobs the push uploaded.</summary>
public sealed record PublishedImage(string? ArchivePath, int BlobsUploaded);

/// <summary>
/// The destinations of a built image (or image index), shared by every way of building it (publish output layers,
/// a Dockerfile, several runtime identifiers): its names, the csbuild image store, ContainerArchiveOutputPath or
/// ContainerRegistry, and the registry client settings (the SDK's credential variables, insecure registries).
/// </summary>
public sealed class ImageOutputs(ContainerRequest request, Action<string> log)
{
    /// <summary>registry/repository:tag for every tag (plus <paramref name="tagSuffix"/>); without a registry, repository:tag in the local store.</summary>
    public IReadOnlyList<string> Names(string tagSuffix = "")
    {
        if (request.Tags.Count == 0) throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, "no image tag: set ContainerImageTag or ContainerImageTags");
        var prefix = string.IsNullOrWhiteSpace(request.Registry) ? "" : request.Registry.Trim().TrimEnd('/') + "/";
        var names = new List<string>();
        foreach (var tag in request.Tags)
        {
            var name = $"{prefix}{request.Repository}:{tag}{tagSuffix}";
            var parsed = ParseReference(name, "ContainerRepository/ContainerImageTag");
            names.Add(prefix.Length > 0 ? parsed.Registry + "/" + parsed.Repository + ":" + parsed.Tag : parsed.Familiar);
        }
        return names;
    }

    /// <summary>"OCI", "Docker", or null (follow the base image) from ContainerImageFormat.</summary>
    public string? RequestedFormat() => request.ImageFormat?.Trim() switch
    {
        null or "" => null,
        var f when f.Equals("OCI", StringComparison.OrdinalIgnoreCase) => "OCI",
        var f when f.Equals("Docker", StringComparison.OrdinalIgnoreCase) => "Docker",
        var f => throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"ContainerImageFormat '{f}' is not OCI or Docker"),
    };

    /// <summary>
    /// Tags <paramref name="descriptor"/> (a manifest or an index already in the content store) under every name, then
    /// writes the archive, or pushes, or leaves it in the image store, as the request says.
    /// </summary>
    public async Task<PublishedImage> PublishAsync(CsbuildRoot root, Descriptor descriptor, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        foreach (var name in names) root.Images.Tag(name, descriptor);
        if (!string.IsNullOrWhiteSpace(request.ArchiveOutputPath))
            return new PublishedImage(WriteArchive(root, descriptor, names), 0);
        if (!string.IsNullOrWhiteSpace(request.Registry))
            return new PublishedImage(null, await PushAsync(root, names, cancellationToken).ConfigureAwait(false));
        log($"stored in the csbuild image store {root.Path} as {string.Join(", ", names)}");
        return new PublishedImage(null, 0);
    }

    private string WriteArchive(CsbuildRoot root, Descriptor descriptor, IReadOnlyList<string> names)
    {
        var archive = ArchivePath();
        var digest = Digest.Parse(descriptor.Digest);
        var record = new ArchiveRecord(Path.Combine(request.IntermediateDirectory, "csbuild-container-archive.txt"));
        if (record.IsCurrent(archive, digest, names))
        {
            log($"{archive} already holds this image, left as it is");
            return archive;
        }
        var clock = Stopwatch.StartNew();
        try
        {
            ImageArchiveWriter.Write(archive, root.Content, descriptor, names);
            record.Save(archive, digest, names);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerBuildException(ContainerDiagnostic.ArchiveFailed, $"cannot write the image archive '{archive}': {e.Message}", e);
        }
        log($"wrote {archive} in {clock.ElapsedMilliseconds} ms");
        return archive;
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

    /// <summary>The registry client settings: the SDK's credential variables for <paramref name="role"/>, and the insecure registries.</summary>
    public RegistryOptions ClientOptions(RegistryRole role)
    {
        var insecure = request.InsecureRegistries.ToList();
        if (Environment.GetEnvironmentVariable("DOTNET_CONTAINER_INSECURE_REGISTRIES") is { Length: > 0 } fromEnvironment)
            insecure.AddRange(fromEnvironment.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return new RegistryOptions { Credentials = SdkEnvironmentCredentialProvider.CreateChain(role), InsecureRegistries = insecure };
    }

    private string ArchivePath()
    {
        var path = request.ArchiveOutputPath!;
        bool isDirectory = path.EndsWith('/') || path.EndsWith('\\') || Directory.Exists(path);
        return Path.GetFullPath(isDirectory ? Path.Combine(path, request.Repository.Replace('/', '-') + ".tar.gz") : path);
    }

    public static ImageReference ParseReference(string text, string property)
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
