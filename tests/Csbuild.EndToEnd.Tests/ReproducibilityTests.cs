using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>SOURCE_DATE_EPOCH builds: the same inputs give the same image digest in different roots, at different times.</summary>
[Collection("busybox")]
public sealed class ReproducibilityTests(BusyboxStoreFixture busybox)
{
    private const string Epoch = "1700000000";

    private const string Dockerfile = """
        FROM busybox:latest
        WORKDIR /srv
        COPY data.txt ./
        RUN echo generated > /srv/generated.txt && mkdir -p /srv/sub && touch /srv/sub/empty
        ENV MODE=repro
        """;

    private static ProcessResult Ok(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>A root holding the same busybox image (same digest) as <paramref name="archive"/>, loaded from it.</summary>
    private static string RootFrom(TempDirectory dir, string name, string archive)
    {
        var root = dir.Combine(name);
        Ok(CsbuildProgram.Run(root, "load", "-q", "-i", archive));
        return root;
    }

    [Fact]
    public void TwoRoots_SameSourceDateEpoch_GiveTheSameManifestDigest()
    {
        using var dir = new TempDirectory();
        var first = busybox.NewRootWithBusybox(dir);
        var baseArchive = dir.Combine("busybox.tar");
        Ok(CsbuildProgram.Run(first, "save", "-o", baseArchive, "busybox:latest"));
        var second = RootFrom(dir, "second-root", baseArchive);

        dir.Write("ctx/Dockerfile", Dockerfile);
        dir.Write("ctx/data.txt", "data");
        var ctx = dir.Combine("ctx");
        var env = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = Epoch };
        Ok(CsbuildProgram.Run(first, env, "build", "--progress=plain", "-t", "repro:1", "--iidfile", dir.Combine("iid1"), ctx));
        Thread.Sleep(1100); // a wall-clock time leaking into a layer or the config would now differ
        File.SetLastWriteTimeUtc(Path.Combine(ctx, "data.txt"), DateTime.UtcNow);
        // The build arg form sets it too, as BuildKit reads SOURCE_DATE_EPOCH from either.
        Ok(CsbuildProgram.Run(second, "build", "--progress=plain", "--build-arg", "SOURCE_DATE_EPOCH=" + Epoch, "-t", "repro:1", "--iidfile", dir.Combine("iid2"), ctx));

        Assert.Equal(File.ReadAllText(dir.Combine("iid1")), File.ReadAllText(dir.Combine("iid2")));

        var config = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--config", $"oci:{first}:repro:1")).Stdout)!;
        Assert.Equal("2023-11-14T22:13:20Z", config["created"]!.GetValue<string>());
        var history = config["history"]!.AsArray();
        // The entries of this build carry the epoch; the base image's own history is kept as it was.
        Assert.All(history.Skip(history.Count - 4), h => Assert.Equal("2023-11-14T22:13:20Z", h!["created"]!.GetValue<string>()));
    }

    [Fact]
    public void NewLayerFiles_AreClampedToSourceDateEpoch()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", Dockerfile);
        dir.Write("ctx/data.txt", "data");
        var tar = dir.Combine("fs.tar");

        Ok(CsbuildProgram.Run(root, new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = Epoch },
            "build", "--progress=plain", "-o", $"type=tar,dest={tar}", dir.Combine("ctx")));

        using var reader = new System.Formats.Tar.TarReader(File.OpenRead(tar));
        int checkedEntries = 0;
        while (reader.GetNextEntry() is { } entry)
        {
            if (!entry.Name.StartsWith("srv", StringComparison.Ordinal)) continue;
            Assert.True(entry.ModificationTime <= DateTimeOffset.FromUnixTimeSeconds(long.Parse(Epoch)), $"{entry.Name}: {entry.ModificationTime}");
            checkedEntries++;
        }
        Assert.True(checkedEntries >= 4, "expected /srv, data.txt, generated.txt, sub/ and sub/empty in the tar");
    }

    [Fact]
    public void DockerMediaTypes_WithOciMediaTypesFalse()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", Dockerfile);
        dir.Write("ctx/data.txt", "data");

        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "--oci-mediatypes=false", "-t", "docker-types:1", dir.Combine("ctx")));
        Ok(CsbuildProgram.Run(root, "build", "--progress=plain", "-o", "type=image,name=docker-types:2,oci-mediatypes=false", dir.Combine("ctx")));

        // skopeo's oci: transport only lists OCI-typed index entries, so the manifest is read from the store's own layout.
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "index.json")))!["manifests"]!.AsArray();
        foreach (var tag in new[] { "docker-types:1", "docker-types:2" })
        {
            var entry = index.Single(m => m!["annotations"]!["org.opencontainers.image.ref.name"]!.GetValue<string>() == tag)!;
            Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", entry["mediaType"]!.GetValue<string>());
            var digest = entry["digest"]!.GetValue<string>();
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "blobs", "sha256", digest["sha256:".Length..])))!;
            Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", manifest["mediaType"]!.GetValue<string>());
            Assert.Equal("application/vnd.docker.container.image.v1+json", manifest["config"]!["mediaType"]!.GetValue<string>());
            // The imported base layer is gzip; the three layers this build made are stored uncompressed.
            var layerTypes = manifest["layers"]!.AsArray().Select(l => l!["mediaType"]!.GetValue<string>()).ToList();
            Assert.Equal(["application/vnd.docker.image.rootfs.diff.tar.gzip", .. Enumerable.Repeat("application/vnd.docker.image.rootfs.diff.tar", 3)], layerTypes);
        }

        // Saved as a docker archive, other tools read it as the Docker image it is.
        var archive = dir.Combine("docker-types.tar");
        Ok(CsbuildProgram.Run(root, "save", "-o", archive, "docker-types:1"));
        var inspect = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", $"docker-archive:{archive}")).Stdout)!;
        Assert.Equal(4, inspect["Layers"]!.AsArray().Count);
    }
}
