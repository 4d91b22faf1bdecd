using System.Formats.Tar;
using System.Text;
using Csbuild.Oci.Layout;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Tests.Layout;

public sealed class ImageArchiveWriterTests
{
    private static Dictionary<string, byte[]> Entries(byte[] archive)
    {
        var entries = new Dictionary<string, byte[]>();
        using var reader = new TarReader(new MemoryStream(archive));
        while (reader.GetNextEntry() is { } entry)
        {
            using var data = new MemoryStream();
            entry.DataStream?.CopyTo(data);
            entries.Add(entry.Name, data.ToArray());
        }
        return entries;
    }

    private static byte[] Write(MemoryBlobStore store, IReadOnlyList<ArchiveImage> images, ImageArchiveKind kind, DateTimeOffset? time = null)
    {
        using var output = new MemoryStream();
        ImageArchiveWriter.Write(output, images, store, kind, time);
        return output.ToArray();
    }

    [Fact]
    public void OciArchive_HasLayoutIndexAndEveryBlobOnce_WithContainerdNameAnnotations()
    {
        var store = new MemoryBlobStore();
        var image = store.AddSampleImage();
        var archive = Write(store, [new ArchiveImage(image, ["docker.io/library/app:1", "registry.example:5000/team/app:dev"])], ImageArchiveKind.Oci);
        var entries = Entries(archive);

        Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", Encoding.UTF8.GetString(entries["oci-layout"]));
        Assert.DoesNotContain("manifest.json", entries.Keys);
        var blobNames = entries.Keys.Where(k => k.StartsWith("blobs/sha256/", StringComparison.Ordinal) && k.Length > "blobs/sha256/".Length).ToList();
        Assert.Equal(store.Blobs.Count, blobNames.Count); // manifest, config, two layers
        foreach (var name in blobNames)
            Assert.Equal(Digest.Parse("sha256:" + name["blobs/sha256/".Length..]), Digest.Of(entries[name]));

        var index = OciJson.DeserializeIndex(entries["index.json"]);
        Assert.Equal(2, index.Manifests.Count);
        Assert.All(index.Manifests, m => Assert.Equal(image.Digest, m.Digest));
        Assert.Equal("docker.io/library/app:1", index.Manifests[0].Annotations![ArchiveAnnotations.ContainerdImageName]);
        Assert.Equal("1", index.Manifests[0].Annotations![ArchiveAnnotations.RefName]);
        Assert.Equal("dev", index.Manifests[1].Annotations![ArchiveAnnotations.RefName]);
    }

    [Fact]
    public void DockerArchive_AddsManifestJson_WithFamiliarRepoTagsAndBlobPaths()
    {
        var store = new MemoryBlobStore();
        var image = store.AddSampleImage();
        var manifest = OciJson.DeserializeManifest(store.Blobs[Digest.Parse(image.Digest)]);
        var entries = Entries(Write(store, [new ArchiveImage(image, ["docker.io/library/app:1", "docker.io/user/tool:2"])], ImageArchiveKind.Docker));

        var docker = Assert.Single(DockerArchiveManifest.Deserialize(entries["manifest.json"]));
        Assert.Equal(["app:1", "user/tool:2"], docker.RepoTags);
        Assert.Equal("blobs/sha256/" + Digest.Parse(manifest.Config.Digest).Hex, docker.Config);
        Assert.Equal(manifest.Layers.Select(l => "blobs/sha256/" + Digest.Parse(l.Digest).Hex), docker.Layers);
        Assert.Contains(docker.Config, entries.Keys);
    }

    [Fact]
    public void SameImages_GiveByteIdenticalArchives()
    {
        var store = new MemoryBlobStore();
        var image = store.AddSampleImage();
        var images = new[] { new ArchiveImage(image, ["docker.io/library/app:1"]) };
        var first = Write(store, images, ImageArchiveKind.Docker, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        Thread.Sleep(1100); // a wall-clock time (atime, ctime) leaking into the headers would show now
        var second = Write(store, images, ImageArchiveKind.Docker, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        Assert.Equal(first, second);

        using var reader = new TarReader(new MemoryStream(first));
        while (reader.GetNextEntry() is { } entry)
        {
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), entry.ModificationTime);
            Assert.Equal(0, entry.Uid);
        }
    }

    [Fact]
    public void MissingLayerBlob_IsAClearError()
    {
        var store = new MemoryBlobStore();
        var image = store.AddSampleImage();
        var manifest = OciJson.DeserializeManifest(store.Blobs[Digest.Parse(image.Digest)]);
        store.Blobs.Remove(Digest.Parse(manifest.Layers[1].Digest));

        var error = Assert.Throws<FileNotFoundException>(() => Write(store, [new ArchiveImage(image, [])], ImageArchiveKind.Oci));
        Assert.Contains(manifest.Layers[1].Digest, error.Message);
    }

    [Fact]
    public void UnnamedImage_GetsOneIndexEntryWithoutNames()
    {
        var store = new MemoryBlobStore();
        var image = store.AddSampleImage();
        var entries = Entries(Write(store, [new ArchiveImage(image, [])], ImageArchiveKind.Docker));
        var entry = Assert.Single(OciJson.DeserializeIndex(entries["index.json"]).Manifests);
        Assert.Null(entry.Annotations);
        Assert.Null(Assert.Single(DockerArchiveManifest.Deserialize(entries["manifest.json"])).RepoTags);
    }
}
