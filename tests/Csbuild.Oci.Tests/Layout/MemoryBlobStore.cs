using Csbuild.Oci.Layout;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Tests.Layout;

/// <summary>An in-memory blob store for archive tests, verifying digests as the content store does.</summary>
internal sealed class MemoryBlobStore : IBlobStore
{
    public Dictionary<Digest, byte[]> Blobs { get; } = [];

    public Stream OpenRead(Digest digest) =>
        Blobs.TryGetValue(digest, out var bytes) ? new MemoryStream(bytes, writable: false) : throw new FileNotFoundException($"blob {digest} missing");

    public bool Exists(Digest digest) => Blobs.ContainsKey(digest);

    public Digest Store(Stream content, Digest? expected)
    {
        using var buffer = new MemoryStream();
        content.CopyTo(buffer);
        var bytes = buffer.ToArray();
        var digest = Digest.Of(bytes);
        if (expected is { } e && e != digest) throw new InvalidDataException($"content digest mismatch: expected {e}, got {digest}");
        Blobs[digest] = bytes;
        return digest;
    }

    public Digest Put(byte[] bytes) => Store(new MemoryStream(bytes), null);

    /// <summary>A small image: two layers (one gzip, one plain tar), a config with their diff_ids, an OCI manifest.</summary>
    public Descriptor AddSampleImage(string label = "sample")
    {
        var tar1 = LayerTar(("hello.txt", "hello " + label));
        var tar2 = LayerTar(("world.txt", "world"));
        var gzip1 = Gzip(tar1);
        var layer1 = Put(gzip1);
        var layer2 = Put(tar2);
        var config = new ImageConfig
        {
            Created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
            RootFs = new RootFs { DiffIds = [Digest.Of(tar1).ToString(), Digest.Of(tar2).ToString()] },
            Config = new ContainerConfig { Labels = new() { ["label"] = label } },
        };
        var configBytes = OciJson.Serialize(config);
        var manifest = new ImageManifest
        {
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Put(configBytes).ToString(), Size = configBytes.Length },
            Layers =
            [
                new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = layer1.ToString(), Size = gzip1.Length },
                new Descriptor { MediaType = MediaTypes.OciLayer, Digest = layer2.ToString(), Size = tar2.Length },
            ],
        };
        var manifestBytes = OciJson.Serialize(manifest);
        return new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Put(manifestBytes).ToString(), Size = manifestBytes.Length };
    }

    public static byte[] LayerTar(params (string Name, string Content)[] files)
    {
        using var buffer = new MemoryStream();
        using (var tar = new System.Formats.Tar.TarWriter(buffer, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name, new Dictionary<string, string>())
                {
                    ModificationTime = DateTimeOffset.UnixEpoch,
                    DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)),
                };
                tar.WriteEntry(entry);
            }
        }
        return buffer.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(data);
        return buffer.ToArray();
    }
}
