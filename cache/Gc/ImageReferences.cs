using Csbuild.Oci.Model;

namespace Csbuild.Cache.Gc;

/// <summary>What the tagged images of a root need: every manifest, index, config and layer blob, and the chain ids of their layers.</summary>
internal sealed record ImageReferences(IReadOnlySet<string> Blobs, IReadOnlySet<string> Chains)
{
    private const int MaxIndexDepth = 4;

    public static ImageReferences Collect(CsbuildRoot root)
    {
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        var chains = new HashSet<string>(StringComparer.Ordinal);
        foreach (var image in root.Images.List()) Visit(root, image.ManifestDigest, image.MediaType, blobs, chains, 0);
        return new ImageReferences(blobs, chains);
    }

    private static void Visit(CsbuildRoot root, Digest digest, string mediaType, HashSet<string> blobs, HashSet<string> chains, int depth)
    {
        if (!blobs.Add(digest.ToString()) || !root.Content.Exists(digest)) return;
        try
        {
            VisitContent(root, root.Content.ReadAllBytes(digest), mediaType, blobs, chains, depth);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or System.Text.Json.JsonException)
        {
            // A broken image keeps what it names; nothing more can be learned from it.
        }
    }

    private static void VisitContent(CsbuildRoot root, byte[] bytes, string mediaType, HashSet<string> blobs, HashSet<string> chains, int depth)
    {
        if (MediaTypes.IsIndex(OciJson.PeekMediaType(bytes) ?? mediaType))
        {
            if (depth >= MaxIndexDepth) return;
            foreach (var child in OciJson.DeserializeIndex(bytes).Manifests)
                if (Digest.TryParse(child.Digest, out var d)) Visit(root, d, child.MediaType, blobs, chains, depth + 1);
            return;
        }
        var manifest = OciJson.DeserializeManifest(bytes);
        blobs.Add(manifest.Config.Digest);
        foreach (var layer in manifest.Layers) blobs.Add(layer.Digest);
        if (!Digest.TryParse(manifest.Config.Digest, out var configDigest) || !root.Content.Exists(configDigest)) return;
        string? chain = null;
        foreach (var diffId in root.Images.ReadConfig(configDigest).RootFs.DiffIds)
        {
            chain = Metadata.LayerRecord.ComputeChainId(chain, Digest.Parse(diffId));
            chains.Add(chain);
        }
    }
}
