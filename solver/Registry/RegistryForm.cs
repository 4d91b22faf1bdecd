using Csbuild.Cache;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;
using Csbuild.Solver.Export;

namespace Csbuild.Solver.Registry;

/// <summary>
/// The form in which a local image goes to a registry. csbuild stores the layers it builds uncompressed (as Docker's and
/// buildah's stores do), and registries and runtimes expect compressed layers: those layers are gzip-compressed on the
/// way (by <see cref="ImagePusher"/>, while uploading them; the conversion table remembers each result's digest), and
/// the manifest — for an index, each child and the index — is rewritten to name them, as <c>docker push</c> compresses. An image with no uncompressed layer (pulled, or exported with a compression) goes as it is, byte for
/// byte, so its digest does not change.
/// </summary>
internal static class RegistryForm
{
    /// <summary>
    /// The manifest or index to push in place of <paramref name="content"/> (new documents are put in the content store),
    /// or null while some uncompressed layer has not been compressed yet (the pusher compresses those as it uploads).
    /// </summary>
    public static byte[]? TryOf(CsbuildRoot root, byte[] content, string mediaType)
    {
        if (MediaTypes.IsManifest(mediaType)) return OfManifest(root, content, mediaType);
        if (!MediaTypes.IsIndex(mediaType)) return content;

        var index = OciJson.DeserializeIndex(content);
        var changed = false;
        foreach (var child in index.Manifests)
        {
            var childDigest = Digest.Parse(child.Digest);
            if (!MediaTypes.IsManifest(child.MediaType) || !root.Content.Exists(childDigest)) continue; // the pusher reports these
            var childContent = root.Content.ReadAllBytes(childDigest);
            if (OfManifest(root, childContent, child.MediaType) is not { } converted) return null;
            if (ReferenceEquals(converted, childContent)) continue;
            child.Digest = Digest.Of(converted).ToString();
            child.Size = converted.Length;
            changed = true;
        }
        if (!changed) return content;
        var bytes = OciJson.Serialize(index);
        root.Content.Put(bytes);
        return bytes;
    }

    public static bool IsUncompressedLayer(Descriptor layer) => layer.MediaType is MediaTypes.OciLayer or MediaTypes.DockerLayer;

    /// <summary>The manifest with the gzip copies of its uncompressed layers (stored); itself without any; null when one has no copy yet.</summary>
    private static byte[]? OfManifest(CsbuildRoot root, byte[] content, string mediaType)
    {
        var manifest = OciJson.DeserializeManifest(content);
        if (!manifest.Layers.Any(IsUncompressedLayer)) return content;
        var converter = new LayerConverter(root);
        var docker = mediaType == MediaTypes.DockerManifest;
        for (int i = 0; i < manifest.Layers.Count; i++)
        {
            var layer = manifest.Layers[i];
            if (!IsUncompressedLayer(layer)) continue;
            if (converter.Known(Digest.Parse(layer.Digest), LayerCompression.Gzip, null) is not { } gzip) return null;
            manifest.Layers[i] = new Descriptor
            {
                MediaType = docker ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip,
                Digest = gzip.Digest,
                Size = gzip.Size,
                Annotations = layer.Annotations,
            };
        }
        var bytes = OciJson.Serialize(manifest);
        root.Content.Put(bytes);
        return bytes;
    }
}
