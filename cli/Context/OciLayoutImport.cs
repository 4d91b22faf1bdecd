using Csbuild.Cache;
using Csbuild.Oci.Model;

namespace Csbuild.Cli.Context;

/// <summary>
/// <c>--build-context NAME=oci-layout://PATH[:TAG|@DIGEST]</c>: the image is found in an OCI image layout directory
/// (by digest, by its <c>org.opencontainers.image.ref.name</c> tag, or as its only image), and its manifest, config
/// and layers are copied into the content store (each verified against its digest) so the solver can use it like
/// any stored image. The store's image names are not touched.
/// </summary>
internal static class OciLayoutImport
{
    public const string Scheme = "oci-layout://";

    public static (string Directory, string? Tag, Digest? Digest) Parse(string value)
    {
        var rest = value[Scheme.Length..];
        Digest? digest = null;
        string? tag = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            try { digest = Digest.Parse(rest[(at + 1)..]); }
            catch (FormatException e) { throw new CliException($"invalid --build-context value \"{value}\": {e.Message}"); }
            rest = rest[..at];
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            if (colon > rest.LastIndexOf('/'))
            {
                tag = rest[(colon + 1)..];
                rest = rest[..colon];
            }
        }
        if (rest.Length == 0) throw new CliException($"invalid --build-context value \"{value}\": missing the layout directory");
        return (Path.GetFullPath(rest), tag, digest);
    }

    /// <summary>Imports the image into the content store; returns the manifest (or index) digest.</summary>
    public static async Task<Digest> ImportAsync(CsbuildRoot root, string value, string platform, CancellationToken ct)
    {
        var (directory, tag, digest) = Parse(value);
        var indexPath = Path.Combine(directory, "index.json");
        if (!File.Exists(indexPath))
            throw new CliException($"--build-context {value}: {directory} is not an OCI image layout (no index.json)", ExitCodes.BuildFailed);
        var index = OciJson.DeserializeIndex(await File.ReadAllBytesAsync(indexPath, ct));
        var chosen = Choose(index, tag, digest, value);
        var manifestDigest = Digest.Parse(chosen.Digest);
        await CopyBlobAsync(root, directory, manifestDigest, ct);
        var bytes = root.Content.ReadAllBytes(manifestDigest);
        if (MediaTypes.IsIndex(OciJson.PeekMediaType(bytes) ?? chosen.MediaType))
        {
            // A multi-platform image: the target platform's manifest, as a pull would choose it.
            var wanted = Solver.PlatformSpec.Parse(platform);
            var inner = OciJson.DeserializeIndex(bytes).Manifests.FirstOrDefault(m => m.Platform is { } p && p.Os == wanted.Os && p.Architecture == wanted.Architecture)
                ?? throw new CliException($"--build-context {value}: the image has no manifest for {wanted}", ExitCodes.BuildFailed);
            manifestDigest = Digest.Parse(inner.Digest);
            await CopyBlobAsync(root, directory, manifestDigest, ct);
            bytes = root.Content.ReadAllBytes(manifestDigest);
        }
        var manifest = OciJson.DeserializeManifest(bytes);
        await CopyBlobAsync(root, directory, Digest.Parse(manifest.Config.Digest), ct);
        foreach (var layer in manifest.Layers) await CopyBlobAsync(root, directory, Digest.Parse(layer.Digest), ct);
        return manifestDigest;
    }

    private static Descriptor Choose(ImageIndex index, string? tag, Digest? digest, string value)
    {
        if (digest is { } d)
            return index.Manifests.FirstOrDefault(m => m.Digest == d.ToString())
                // A digest inside a nested index or not listed at the top: still addressable by its blob.
                ?? new Descriptor { Digest = d.ToString(), MediaType = MediaTypes.OciManifest };
        if (tag is not null)
            return index.Manifests.FirstOrDefault(m => m.Annotations?.GetValueOrDefault(Descriptor.RefNameAnnotation) == tag)
                ?? throw new CliException($"--build-context {value}: no image tagged \"{tag}\" in the layout", ExitCodes.BuildFailed);
        return index.Manifests.Count switch
        {
            1 => index.Manifests[0],
            0 => throw new CliException($"--build-context {value}: the layout holds no image", ExitCodes.BuildFailed),
            _ => index.Manifests.FirstOrDefault(m => m.Annotations?.GetValueOrDefault(Descriptor.RefNameAnnotation) == "latest")
                ?? throw new CliException($"--build-context {value}: the layout holds {index.Manifests.Count} images; name one with :TAG or @DIGEST", ExitCodes.BuildFailed),
        };
    }

    private static async Task CopyBlobAsync(CsbuildRoot root, string layout, Digest digest, CancellationToken ct)
    {
        if (!root.Content.Exists(digest))
        {
            var path = Path.Combine(layout, "blobs", digest.Algorithm, digest.Hex);
            if (!File.Exists(path)) throw new CliException($"the OCI layout {layout} lacks blob {digest}", ExitCodes.BuildFailed);
            await using var blob = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            try { await root.Content.PutAsync(blob, digest, ct); }
            catch (InvalidDataException e) { throw new CliException($"the OCI layout {layout} has a corrupt blob {digest}: {e.Message}", ExitCodes.BuildFailed); }
        }
    }
}
