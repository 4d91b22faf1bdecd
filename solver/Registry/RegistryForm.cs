using Csbuild.Cache;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;
using Csbuild.Solver.Export;

namespace Csbuild.Solver.Registry;

/// <summary>
/// The form in which a local image goes to a registry. csbuild stores the layers it builds uncompressed (as Docker's and
/// buildah's stores do), and registries and runtimes expect compressed layers: those layers are gzip-compressed on the
/// way, once per layer (the conversion table remembers the result), and the manifest — for an index, each child and the
/// index — is rewritten to name them, as <c>docker push</c> compresses. An image with no uncompressed layer (pulled, or
/// exported with a compression) goes as it is, byte for byte, so its digest does not change.
/// </summary>
internal static class RegistryForm
{
    /// <summary>The manifest or index to push in place of <paramref name="content"/>; new documents are put in the content store.</summary>
    public static byte[] Of(CsbuildRoot root, byte[] content, string mediaType)
    {
        if (MediaTypes.IsManifest(mediaType)) return OfManifest(root, content, mediaType) ?? content;
        if (!MediaTypes.IsIndex(mediaType)) return content;

        var index = OciJson.DeserializeIndex(content);
        var changed = false;
        foreach (var child in index.Manifests)
        {
            var childDigest = Digest.Parse(child.Digest);
            if (!MediaTypes.IsManifest(child.MediaType) || !root.Content.Exists(childDigest)) continue; // the pusher reports these
            if (OfManifest(root, root.Content.ReadAllBytes(childDigest), child.MediaType) is not { } converted) continue;
            child.Digest = Digest.Of(converted).ToString();
            child.Size = converted.Length;
            changed = true;
        }
        if (!changed) return content;
        var bytes = OciJson.Serialize(index);
        root.Content.Put(bytes);
        return bytes;
    }

    /// <summary>The manifest with gzip layers for its uncompressed ones, stored; null when it has none.</summary>
    private static byte[]? OfManifest(CsbuildRoot root, byte[] content, string mediaType)
    {
        var manifest = OciJson.DeserializeManifest(content);
        if (!manifest.Layers.Any(IsUncompressedLayer)) return null;
        var converter = new LayerConverter(root);
        var docker = mediaType == MediaTypes.DockerManifest;
        for (int i = 0; i < manifest.Layers.Count; i++)
        {
            var layer = manifest.Layers[i];
            if (!IsUncompressedLayer(layer)) continue;
            // An uncompressed layer's blob is its tar: its digest is the diff_id the converter checks the result against.
            var digest = Digest.Parse(layer.Digest);
            root.RemoteBlobs.EnsureLocal(digest);
            var gzip = converter.Convert(digest, digest, LayerCompression.Gzip, null).Blob;
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

    private static bool IsUncompressedLayer(Descriptor layer) => layer.MediaType is MediaTypes.OciLayer or MediaTypes.DockerLayer;
}
