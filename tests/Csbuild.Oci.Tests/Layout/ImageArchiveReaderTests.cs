using System.Formats.Tar;
using System.Text;
using Csbuild.Oci.Layout;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Tests.Layout;

public sealed class ImageArchiveReaderTests
{
    private static byte[] Archive(params (string Name, byte[] Content)[] files)
    {
        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
        }
        return buffer.ToArray();
    }

    [Theory]
    [InlineData(ImageArchiveKind.Oci)]
    [InlineData(ImageArchiveKind.Docker)]
    public void WrittenArchive_ReadsBack_WithTheSameDigestBlobsAndNames(ImageArchiveKind kind)
    {
        var source = new MemoryBlobStore();
        var image = source.AddSampleImage();
        using var archive = new MemoryStream();
        ImageArchiveWriter.Write(archive, [new ArchiveImage(image, ["docker.io/library/app:1", "docker.io/library/app:2"])], source, kind);
        archive.Position = 0;

        var target = new MemoryBlobStore();
        var loaded = Assert.Single(ImageArchiveReader.Read(archive, target));
        Assert.Equal(image.Digest, loaded.Descriptor.Digest);
        Assert.Equal(image.MediaType, loaded.Descriptor.MediaType);
        Assert.Contains("docker.io/library/app:1", loaded.Names);
        Assert.Contains("docker.io/library/app:2", loaded.Names);
        Assert.Equal(source.Blobs.Keys.Select(k => k.ToString()).Order(), target.Blobs.Keys.Select(k => k.ToString()).Order());
    }

    [Fact]
    public void LegacyDockerSave_WithoutIndex_GetsASchema2ManifestWithDetectedLayerTypes()
    {
        var plain = MemoryBlobStore.LayerTar(("a.txt", "a"));
        var gzip = MemoryBlobStore.Gzip(MemoryBlobStore.LayerTar(("b.txt", "b")));
        var gzipDiffId = Digest.Of(MemoryBlobStore.LayerTar(("b.txt", "b")));
        var config = OciJson.Serialize(new ImageConfig { RootFs = new RootFs { DiffIds = [Digest.Of(plain).ToString(), gzipDiffId.ToString()] } });
        var configName = Digest.Of(config).Hex + ".json";
        var manifestJson = Encoding.UTF8.GetBytes($$"""[{"Config":"{{configName}}","RepoTags":["old:1"],"Layers":["l1/layer.tar","l2/layer.tar"]}]""");
        var store = new MemoryBlobStore();

        var loaded = Assert.Single(ImageArchiveReader.Read(new MemoryStream(Archive(
            ("l1/layer.tar", plain), ("l2/layer.tar", gzip), (configName, config), ("manifest.json", manifestJson),
            ("repositories", "{}"u8.ToArray()))), store));

        Assert.Equal(["old:1"], loaded.Names);
        Assert.Equal(MediaTypes.DockerManifest, loaded.Descriptor.MediaType);
        var manifest = OciJson.DeserializeManifest(store.Blobs[loaded.Digest]);
        Assert.Equal(MediaTypes.DockerConfig, manifest.Config.MediaType);
        Assert.Equal(Digest.Of(config).ToString(), manifest.Config.Digest);
        Assert.Equal([MediaTypes.DockerLayer, MediaTypes.DockerLayerGzip], manifest.Layers.Select(l => l.MediaType));
        Assert.Equal([Digest.Of(plain).ToString(), Digest.Of(gzip).ToString()], manifest.Layers.Select(l => l.Digest));
        Assert.Equal(gzip.Length, manifest.Layers[1].Size);
    }

    [Fact]
    public void BlobWhoseContentDoesNotMatchItsName_IsRejected()
    {
        var name = "blobs/sha256/" + Digest.Of("something else").Hex;
        var error = Assert.Throws<InvalidDataException>(() =>
            ImageArchiveReader.Read(new MemoryStream(Archive((name, "tampered"u8.ToArray()))), new MemoryBlobStore()));
        Assert.Contains(name, error.Message);
    }

    [Fact]
    public void TarWithoutIndexOrManifest_IsNotAnImageArchive()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            ImageArchiveReader.Read(new MemoryStream(Archive(("etc/passwd", "root:x:0:0"u8.ToArray()))), new MemoryBlobStore()));
        Assert.Contains("neither an OCI image layout", error.Message);
    }

    [Fact]
    public void IndexNamingAMissingManifest_IsRejected()
    {
        var index = OciJson.Serialize(new ImageIndex
        {
            Manifests = [new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Of("absent").ToString(), Size = 6 }],
        });
        var error = Assert.Throws<InvalidDataException>(() =>
            ImageArchiveReader.Read(new MemoryStream(Archive(("oci-layout", "{}"u8.ToArray()), ("index.json", index))), new MemoryBlobStore()));
        Assert.Contains("not in the archive", error.Message);
    }

    [Fact]
    public void BareTagRefName_NamesNoImage_ButAFullReferenceDoes()
    {
        var store = new MemoryBlobStore();
        var image = store.AddSampleImage();
        var manifestBytes = store.Blobs[Digest.Parse(image.Digest)];
        var index = OciJson.Serialize(new ImageIndex
        {
            Manifests =
            [
                new Descriptor { MediaType = image.MediaType, Digest = image.Digest, Size = image.Size, Annotations = new() { [ArchiveAnnotations.RefName] = "latest" } },
            ],
        });
        var files = store.Blobs.Select(b => ("blobs/sha256/" + b.Key.Hex, b.Value)).Append(("index.json", index)).ToArray();
        var loaded = Assert.Single(ImageArchiveReader.Read(new MemoryStream(Archive(files)), new MemoryBlobStore()));
        Assert.Empty(loaded.Names);
        Assert.Equal(Digest.Of(manifestBytes), loaded.Digest);

        var named = OciJson.Serialize(new ImageIndex
        {
            Manifests = [new Descriptor { MediaType = image.MediaType, Digest = image.Digest, Size = image.Size, Annotations = new() { [ArchiveAnnotations.RefName] = "example.com/app:3" } }],
        });
        files = store.Blobs.Select(b => ("blobs/sha256/" + b.Key.Hex, b.Value)).Append(("index.json", named)).ToArray();
        Assert.Equal(["example.com/app:3"], Assert.Single(ImageArchiveReader.Read(new MemoryStream(Archive(files)), new MemoryBlobStore())).Names);
    }
}
