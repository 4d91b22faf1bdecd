using System.Formats.Tar;
using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>Build outputs (-o type=…), export compression, --metadata-file and save/load, checked with skopeo and umoci.</summary>
[Collection("busybox")]
public sealed class OutputTests(BusyboxStoreFixture busybox)
{
    private const string Dockerfile = """
        FROM busybox:latest
        COPY hello.txt /app/hello.txt
        RUN echo built > /app/built.txt && rm /bin/vi && ln /app/built.txt /app/built-link.txt
        LABEL out.test=yes
        """;

    private static string WriteContext(TempDirectory dir)
    {
        dir.Write("ctx/Dockerfile", Dockerfile);
        dir.Write("ctx/hello.txt", "hello");
        return dir.Combine("ctx");
    }

    private static ProcessResult Ok(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    [Fact]
    public void OciAndDockerArchives_AreReadBySkopeoAndUmoci()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = WriteContext(dir);
        var oci = dir.Combine("out", "image-oci.tar");
        var docker = dir.Combine("out", "image-docker.tar");

        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "out:1",
            "-o", $"type=oci,dest={oci}", "-o", $"type=docker,dest={docker}", ctx));

        var ociInfo = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", $"oci-archive:{oci}")).Stdout)!;
        Assert.Equal("yes", ociInfo["Labels"]!["out.test"]!.GetValue<string>());
        Assert.Equal(3, ociInfo["Layers"]!.AsArray().Count);
        var ociManifest = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci-archive:{oci}")).Stdout)!;
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", ociManifest["mediaType"]!.GetValue<string>());

        // The docker exporter writes Docker media types and a manifest.json naming the image, as buildx does.
        var dockerManifest = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--raw", $"docker-archive:{docker}:out:1")).Stdout)!;
        Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", dockerManifest["mediaType"]!.GetValue<string>());
        var dockerInfo = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", $"docker-archive:{docker}")).Stdout)!;
        Assert.Equal("yes", dockerInfo["Labels"]!["out.test"]!.GetValue<string>());
        var manifestJson = JsonNode.Parse(ReadTarEntry(docker, "manifest.json"))!.AsArray();
        Assert.Equal("out:1", Assert.Single(manifestJson)!["RepoTags"]![0]!.GetValue<string>());

        // umoci unpacks the extracted OCI layout, whiteouts applied.
        var layout = dir.Combine("layout");
        Directory.CreateDirectory(layout);
        TarFile.ExtractToDirectory(oci, layout, overwriteFiles: false);
        var bundle = dir.Combine("bundle");
        Ok(ProcessRunner.Run("umoci", "unpack", "--image", $"{layout}:1", bundle));
        Assert.Equal("built\n", File.ReadAllText(Path.Combine(bundle, "rootfs", "app", "built.txt")));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(bundle, "rootfs", "app", "hello.txt")));
        Assert.False(Path.Exists(Path.Combine(bundle, "rootfs", "bin", "vi")));

        // Without type=image the store gets no tag.
        Assert.DoesNotContain("out ", Ok(CsbuildProgram.Run(root, "images")).Stdout);
    }

    [Fact]
    public void LocalAndTarOutputs_HoldTheFinalFilesystem_WithoutWhiteouts()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = WriteContext(dir);
        var local = dir.Combine("local");
        var tar = dir.Combine("fs.tar");

        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "-o", $"type=local,dest={local}", "-o", $"type=tar,dest={tar}", ctx));

        Assert.Equal("built\n", File.ReadAllText(Path.Combine(local, "app", "built.txt")));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(local, "app", "hello.txt")));
        Assert.True(File.Exists(Path.Combine(local, "bin", "busybox")));
        Assert.False(Path.Exists(Path.Combine(local, "bin", "vi")));
        var all = Directory.EnumerateFileSystemEntries(local, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(all, n => n!.StartsWith(".wh.", StringComparison.Ordinal));
        Assert.Equal(2u, Csbuild.Oci.Native.Libc.StatNoFollow(Path.Combine(local, "app", "built-link.txt")).LinkCount); // the hardlink is kept

        var names = new List<string>();
        using (var reader = new TarReader(File.OpenRead(tar)))
            while (reader.GetNextEntry() is { } entry) names.Add(entry.Name.TrimEnd('/'));
        Assert.Contains("app/built.txt", names);
        Assert.Contains("bin/busybox", names);
        Assert.DoesNotContain("bin/vi", names);
        Assert.DoesNotContain(names, n => Path.GetFileName(n).StartsWith(".wh.", StringComparison.Ordinal));
    }

    [Fact]
    public void ZstdExport_IsReadBySkopeo_AndTheConversionIsReusedByTheNextExport()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = WriteContext(dir);
        var archive = dir.Combine("zstd.tar");

        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "z:1", "-o", "type=image,compression=zstd", "-o", $"type=oci,dest={archive},compression=zstd", ctx));

        var raw = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci-archive:{archive}")).Stdout)!;
        var layerTypes = raw["layers"]!.AsArray().Select(l => l!["mediaType"]!.GetValue<string>()).ToList();
        // The base image layer keeps its gzip (no force-compression); the two layers this build made are zstd.
        Assert.Equal(["application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.v1.tar+zstd"], layerTypes);
        var copied = dir.Combine("copied");
        Ok(ProcessRunner.Run("skopeo", "copy", $"oci-archive:{archive}", $"dir:{copied}")); // decompresses to verify diff_ids
        Ok(ProcessRunner.Run("skopeo", "inspect", $"oci:{root}:z:1"));

        // A second export of the same layers reuses the converted blobs: same manifest, no new zstd blobs in the store.
        var blobsBefore = Directory.GetFiles(Path.Combine(root, "blobs", "sha256")).Length;
        var again = dir.Combine("again.tar");
        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "-o", $"type=oci,dest={again},compression=zstd", ctx));
        Assert.Equal(raw.ToJsonString(), JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci-archive:{again}")).Stdout)!.ToJsonString());
        Assert.Equal(blobsBefore, Directory.GetFiles(Path.Combine(root, "blobs", "sha256")).Length);

        // force-compression converts the base layer too; uncompressed layers are plain tars.
        var forced = dir.Combine("forced.tar");
        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "-o", $"type=oci,dest={forced},compression=uncompressed,force-compression=true", ctx));
        var plain = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci-archive:{forced}")).Stdout)!;
        Assert.All(plain["layers"]!.AsArray(), l => Assert.Equal("application/vnd.oci.image.layer.v1.tar", l!["mediaType"]!.GetValue<string>()));
    }

    [Fact]
    public void MetadataFile_HasTheKeysBuildxWrites_AndMatchesIidFile()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = WriteContext(dir);
        var metadata = dir.Combine("meta.json");
        var iid = dir.Combine("iid");

        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "meta:1", "--metadata-file", metadata, "--iidfile", iid, ctx));

        var json = JsonNode.Parse(File.ReadAllText(metadata))!;
        var digest = File.ReadAllText(iid);
        Assert.Equal(digest, json["containerimage.digest"]!.GetValue<string>());
        Assert.Equal("docker.io/library/meta:1", json["image.name"]!.GetValue<string>());
        var descriptor = json["containerimage.descriptor"]!;
        Assert.Equal(digest, descriptor["digest"]!.GetValue<string>());
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", descriptor["mediaType"]!.GetValue<string>());
        var config = json["containerimage.config.digest"]!.GetValue<string>();
        Assert.Equal(config, descriptor["annotations"]!["config.digest"]!.GetValue<string>());
        var manifest = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci:{root}:meta:1")).Stdout)!;
        Assert.Equal(config, manifest["config"]!["digest"]!.GetValue<string>());
    }

    [Fact]
    public void SaveThenLoadIntoAnEmptyRoot_KeepsNamesAndDigests()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = WriteContext(dir);
        var iid = dir.Combine("iid");
        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "saved:1", "-t", "saved:alias", "--iidfile", iid, ctx));
        var digest = File.ReadAllText(iid);
        var archive = dir.Combine("saved.tar");

        Ok(CsbuildProgram.Run(root, "save", "-o", archive, "saved:1", "saved:alias"));
        Ok(ProcessRunner.Run("skopeo", "inspect", $"docker-archive:{archive}:saved:alias"));

        var empty = dir.Combine("empty-root");
        var load = Ok(CsbuildProgram.Run(empty, "load", "-i", archive));
        Assert.Contains("Loaded image: saved:1", load.Stdout);
        Assert.Contains("Loaded image: saved:alias", load.Stdout);
        var images = Ok(CsbuildProgram.Run(empty, "images")).Stdout;
        var loadedDigest = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", $"oci:{empty}:saved:1")).Stdout)!["Digest"]!.GetValue<string>();
        Assert.Equal(digest, loadedDigest);
        Assert.Contains("saved", images);

        // The loaded image is a usable base: build FROM it in the new root.
        var next = dir.Write("ctx2/Dockerfile", "FROM saved:1\nRUN cat /app/built.txt > /copy.txt\n");
        Ok(CsbuildProgram.Run(empty, "build", "--progress=plain", "-t", "next:1", Path.GetDirectoryName(next)!));

        // An OCI archive from skopeo loads too (an index without containerd names: stored, reported by digest).
        var skopeoArchive = dir.Combine("skopeo-oci.tar");
        Ok(ProcessRunner.Run("skopeo", "copy", $"oci:{root}:saved:1", $"oci-archive:{skopeoArchive}:saved:1"));
        var fromSkopeo = Ok(CsbuildProgram.Run(dir.Combine("third-root"), "load", "-i", skopeoArchive));
        Assert.Contains("Loaded image", fromSkopeo.Stdout);
    }

    [Fact]
    public void BadOutputs_AreUsageErrors()
    {
        using var dir = new TempDirectory();
        var ctx = WriteContext(dir);
        var root = dir.Combine("root");
        var unknown = CsbuildProgram.Run(root, "build", "-o", "type=floppy", ctx);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown type 'floppy'", unknown.Stderr);
        var noDest = CsbuildProgram.Run(root, "build", "-o", "type=oci", ctx);
        Assert.Equal(2, noDest.ExitCode);
        Assert.Contains("needs dest=PATH", noDest.Stderr);
        var level = CsbuildProgram.Run(root, "build", "-o", "type=image,compression=gzip,compression-level=12", ctx);
        Assert.Equal(2, level.ExitCode);
        Assert.Contains("compression-level must be 0..9", level.Stderr);
    }

    private static string ReadTarEntry(string tar, string name)
    {
        using var reader = new TarReader(File.OpenRead(tar));
        while (reader.GetNextEntry() is { } entry)
            if (entry.Name == name) return new StreamReader(entry.DataStream!).ReadToEnd();
        throw new FileNotFoundException($"{name} not in {tar}");
    }
}
