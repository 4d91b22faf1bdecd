using System.Collections.Concurrent;
using Csbuild.Cache;
using Csbuild.Oci.Model;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver;

/// <summary>Resolves base images from the root's local image store (pulling from registries comes on top of this).</summary>
public sealed class LocalImageResolver(CsbuildRoot root) : IImageResolver
{
    private readonly ConcurrentDictionary<(string, string?), ResolvedImage> _resolved = new();

    public Task<ResolvedImage> ResolveAsync(string reference, string? platform, CancellationToken cancellationToken)
    {
        // One build sees one answer per reference, even if the store changes meanwhile.
        return Task.FromResult(_resolved.GetOrAdd((reference, platform), key => Resolve(key.Item1, key.Item2)));
    }

    private ResolvedImage Resolve(string reference, string? platform)
    {
        Cache.Images.ImageRecord? record;
        try
        {
            record = root.Images.Find(reference);
        }
        catch (FormatException e)
        {
            throw new ImageNotFoundException(reference, e.Message);
        }
        if (record is null)
            throw new ImageNotFoundException(reference,
                "it is not in the local image store (see 'csbuild images'; add one with 'csbuild import ROOTFS.tar NAME')");
        var manifestDigest = record.ManifestDigest;
        var bytes = root.Content.ReadAllBytes(manifestDigest);
        if (MediaTypes.IsIndex(OciJson.PeekMediaType(bytes) ?? record.MediaType))
        {
            var index = OciJson.DeserializeIndex(bytes);
            var wanted = PlatformSpec.Parse(platform ?? PlatformSpec.Host);
            var match = index.Manifests.FirstOrDefault(m => m.Platform is { } p && p.Os == wanted.Os && p.Architecture == wanted.Architecture)
                ?? throw new ImageNotFoundException(reference, $"no manifest for platform {wanted} in its index");
            manifestDigest = Digest.Parse(match.Digest);
            bytes = root.Content.ReadAllBytes(manifestDigest);
        }
        var manifest = OciJson.DeserializeManifest(bytes);
        var config = root.Images.ReadConfig(Digest.Parse(manifest.Config.Digest));
        return new ResolvedImage(reference, manifestDigest, config);
    }
}
