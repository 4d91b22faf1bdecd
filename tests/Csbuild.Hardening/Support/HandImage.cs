using System.Formats.Tar;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;
using Csbuild.TestSupport;

namespace Csbuild.Hardening.Support;

/// <summary>A layer blob as a test crafted it, with the diff_id its image config claims.</summary>
public sealed record HandLayer(byte[] Blob, Digest DiffId, string MediaType);

/// <summary>
/// Assembles an image by hand around one crafted layer (on top of the busybox layer, so RUN has a shell) and
/// delivers it the two ways a hostile layer reaches csbuild: an OCI archive for <c>csbuild load</c>, or blobs
/// and a manifest pushed to a real registry with the RegistryClient for a pull.
/// </summary>
public sealed class HandImage
{
    private readonly List<(byte[] Bytes, string MediaType, Digest Digest)> _layers = [];

    public HandImage(BusyboxBase busybox, HandLayer layer)
    {
        _layers.Add((busybox.LayerBlob, MediaTypes.OciLayerGzip, Digest.Of(busybox.LayerBlob)));
        _layers.Add((layer.Blob, layer.MediaType, Digest.Of(layer.Blob)));
        var config = new ImageConfig
        {
            Config = new ContainerConfig { Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
            RootFs = new RootFs { DiffIds = [busybox.DiffId.ToString(), layer.DiffId.ToString()] },
        };
        ConfigBytes = OciJson.Serialize(config);
        var manifest = new ImageManifest
        {
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Of(ConfigBytes).ToString(), Size = ConfigBytes.Length },
            Layers = [.. _layers.Select(l => new Descriptor { MediaType = l.MediaType, Digest = l.Digest.ToString(), Size = l.Bytes.Length })],
        };
        ManifestBytes = OciJson.Serialize(manifest);
    }

    public byte[] ConfigBytes { get; }
    public byte[] ManifestBytes { get; }

    /// <summary>An OCI archive (oci-layout, index.json naming the image, blobs) for <c>csbuild load -i</c>.</summary>
    public void WriteOciArchive(string path, string imageName)
    {
        var index = new ImageIndex
        {
            Manifests =
            [
                new Descriptor
                {
                    MediaType = MediaTypes.OciManifest, Digest = Digest.Of(ManifestBytes).ToString(), Size = ManifestBytes.Length,
                    Annotations = new() { ["io.containerd.image.name"] = ImageReference.Parse(imageName).Canonical },
                },
            ],
        };
        using var file = File.Create(path);
        using var tar = new TarWriter(file, TarEntryFormat.Pax);
        Add(tar, "oci-layout", OciJson.Serialize(new OciLayout()));
        Add(tar, "index.json", OciJson.Serialize(index));
        Add(tar, BlobName(ConfigBytes), ConfigBytes);
        Add(tar, BlobName(ManifestBytes), ManifestBytes);
        foreach (var layer in _layers.DistinctBy(l => l.Digest)) Add(tar, BlobName(layer.Bytes), layer.Bytes);
    }

    /// <summary>Pushes the blobs and the manifest to <paramref name="registry"/> as <paramref name="repositoryAndTag"/>.</summary>
    public async Task PushAsync(RegistryFixture registry, string repositoryAndTag)
    {
        var reference = ImageReference.Parse(registry.Reference(repositoryAndTag));
        using var client = new RegistryClient(registry.CreateClientOptions());
        foreach (var blob in _layers.Select(l => l.Bytes).Append(ConfigBytes))
            await client.PushBlobAsync(reference.Name, Digest.Of(blob), blob.Length, () => new MemoryStream(blob));
        await client.PutManifestAsync(reference, ManifestBytes, MediaTypes.OciManifest);
    }

    private static string BlobName(byte[] content) => "blobs/sha256/" + Digest.Of(content).Hex;

    private static void Add(TarWriter tar, string name, byte[] content) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content), Mode = (UnixFileMode)0x1A4 });
}
