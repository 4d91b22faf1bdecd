using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>
/// ContainerRuntimeIdentifiers: one inner publish and image per RID on the matching platform of a multi-platform base
/// image (amd64 and arm64 manifests over the same rootfs, made in the test), then an image index (or a Docker manifest
/// list) pushed or archived with both. Checked with skopeo (--raw, --override-arch) and by running the amd64 image.
/// </summary>
[Collection("publish")]
public sealed class MultiArchPublishTests(PublishFixture fixture, MultiArchPublishTests.MultiPlatformBase multiPlatformBase) : IClassFixture<MultiArchPublishTests.MultiPlatformBase>
{
    /// <summary>127.0.0.1:PORT/dotnet-multi:10, an OCI index of linux/amd64 and linux/arm64, made once for the class.</summary>
    public sealed class MultiPlatformBase : IDisposable
    {
        private readonly TempDirectory _directory = new("csbuild-multi-base");
        private string? _name;
        private readonly Lock _lock = new();

        public string Get(PublishFixture fixture)
        {
            lock (_lock)
                return _name ??= DotnetBaseImage.CreateAndPushAsync(fixture.Registry, _directory.Path, "dotnet-multi:10", ["amd64", "arm64"]).GetAwaiter().GetResult();
        }

        public void Dispose() => _directory.Dispose();
    }

    private ProcessResult Publish(TempDirectory dir, string baseImage, params string[] extra)
    {
        string[] arguments =
        [
            "publish", dir.Combine(SampleApps.ConsoleProject), "-t:PublishContainer", "--disable-build-servers", "-v:n",
            $"-p:ContainerBaseImage={baseImage}", .. extra,
        ];
        var result = DotnetCli.Run(dir.Path, fixture.Environment(dir.Combine("csbuild-root")), arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static JsonNode Skopeo(params string[] arguments)
    {
        var result = ProcessRunner.Run("skopeo", arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonNode.Parse(result.Stdout)!;
    }

    private static string IndexDigestFromLog(string stdout, string name)
    {
        var match = System.Text.RegularExpressions.Regex.Match(stdout, $@"built image index {System.Text.RegularExpressions.Regex.Escape(name)} \((sha256:[0-9a-f]{{64}})\)");
        Assert.True(match.Success, stdout);
        return match.Groups[1].Value;
    }

    [Fact]
    public void ContainerRuntimeIdentifiers_PushesAnIndex_OfOneImagePerRid_OnTheMatchingBasePlatform()
    {
        var baseImage = GetBase();
        using var dir = new TempDirectory("csbuild-multi");
        SampleApps.WriteConsoleApp(dir.Path, fixture.Feed, extraProperties: SampleApps.TwoRuntimeIdentifiers);

        var publish = Publish(dir, baseImage, $"-p:ContainerRegistry={fixture.Registry.Host}", "-p:ContainerRepository=tests/multi",
            "-p:ContainerImageTag=1", "-p:ContainerRuntimeIdentifiers=linux-x64%3Blinux-arm64");
        var image = fixture.Registry.Reference("tests/multi:1");

        // The registry serves an OCI index with both platforms; its digest is GeneratedContainerDigest.
        var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + image);
        Assert.True(raw.ExitCode == 0, raw.ToString());
        var index = JsonNode.Parse(raw.Stdout)!;
        Assert.Equal("application/vnd.oci.image.index.v1+json", index["mediaType"]!.GetValue<string>());
        var platforms = index["manifests"]!.AsArray().Select(m => $"{m!["platform"]!["os"]}/{m["platform"]!["architecture"]}").ToList();
        Assert.Equal(["linux/amd64", "linux/arm64"], platforms);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(raw.Stdout.TrimEnd('\n')))), IndexDigestFromLog(publish.Stdout, image));

        // Each platform's image: its config has the architecture, and it sits on the base's manifest of that platform.
        foreach (var architecture in new[] { "amd64", "arm64" })
        {
            var config = Skopeo("--override-arch", architecture, "inspect", "--config", "--tls-verify=false", "docker://" + image);
            Assert.Equal(architecture, config["architecture"]!.GetValue<string>());
            Assert.Equal("linux", config["os"]!.GetValue<string>());
            var baseConfig = Skopeo("--override-arch", architecture, "inspect", "--config", "--tls-verify=false", "docker://" + baseImage);
            Assert.Equal(baseConfig["rootfs"]!["diff_ids"]![0]!.GetValue<string>(), config["rootfs"]!["diff_ids"]![0]!.GetValue<string>());
            Assert.Contains($"csbuild: linux-{(architecture == "amd64" ? "x64" : "arm64")}: linux/{architecture} image", publish.Stdout);
        }

        // The arm64 image pulls and unpacks (it cannot run here); the amd64 one runs the app.
        var armLayout = dir.Combine("arm-layout");
        var copyArm = ProcessRunner.Run("skopeo", "--override-arch", "arm64", "copy", "--src-tls-verify=false", "docker://" + image, $"oci:{armLayout}:arm");
        Assert.True(copyArm.ExitCode == 0, copyArm.ToString());
        var armBundle = dir.Combine("arm-bundle");
        var unpackArm = ProcessRunner.Run("umoci", "unpack", "--image", $"{armLayout}:arm", armBundle);
        Assert.True(unpackArm.ExitCode == 0, unpackArm.ToString());
        Assert.True(File.Exists(Path.Combine(armBundle, "rootfs/app/HelloApp.dll")));
        Assert.Contains("linux-arm64", File.ReadAllText(Path.Combine(armBundle, "rootfs/app/HelloApp.deps.json")));

        var amdLayout = dir.Combine("amd-layout");
        var copyAmd = ProcessRunner.Run("skopeo", "--override-arch", "amd64", "copy", "--src-tls-verify=false", "docker://" + image, $"oci:{amdLayout}:amd");
        Assert.True(copyAmd.ExitCode == 0, copyAmd.ToString());
        var run = ImageRunner.Run(ImageRunner.Unpack($"{amdLayout}:amd", dir.Combine("amd")));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("hello from the app\nhello from the library\n", run.Stdout.Replace("\r\n", "\n"));
    }

    [Fact]
    public void RuntimeIdentifiersOfTheProject_AsDockerFormat_PushAManifestList_AndAnArchiveHoldsTheIndex()
    {
        var baseImage = GetBase();
        using var dir = new TempDirectory("csbuild-multi");
        SampleApps.WriteConsoleApp(dir.Path, fixture.Feed, extraProperties: SampleApps.TwoRuntimeIdentifiers);

        // No ContainerRuntimeIdentifiers: as with the SDK, the project's RuntimeIdentifiers make it a multi-architecture publish.
        Publish(dir, baseImage, $"-p:ContainerRegistry={fixture.Registry.Host}", "-p:ContainerRepository=tests/multi-docker", "-p:ContainerImageFormat=Docker");
        var image = fixture.Registry.Reference("tests/multi-docker:latest");
        var list = Skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + image);
        Assert.Equal("application/vnd.docker.distribution.manifest.list.v2+json", list["mediaType"]!.GetValue<string>());
        Assert.All(list["manifests"]!.AsArray(), m => Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", m!["mediaType"]!.GetValue<string>()));
        Assert.Equal(["amd64", "arm64"], list["manifests"]!.AsArray().Select(m => m!["platform"]!["architecture"]!.GetValue<string>()));
        var arm = Skopeo("--override-arch", "arm64", "inspect", "--tls-verify=false", "docker://" + image);
        Assert.Equal("arm64", arm["Architecture"]!.GetValue<string>());

        // To an archive: one OCI layout whose index.json names the image index; both platforms are in it.
        var archive = dir.Combine("out", "multi.tar");
        var archived = Publish(dir, baseImage, "-p:ContainerRepository=tests/multi-archive", $"-p:ContainerArchiveOutputPath={archive}");
        var digest = IndexDigestFromLog(archived.Stdout, "tests/multi-archive:latest");
        var extracted = dir.Combine("out", "layout");
        Directory.CreateDirectory(extracted);
        System.Formats.Tar.TarFile.ExtractToDirectory(archive, extracted, overwriteFiles: false);
        var layoutIndex = JsonNode.Parse(File.ReadAllText(Path.Combine(extracted, "index.json")))!;
        Assert.Equal(digest, layoutIndex["manifests"]![0]!["digest"]!.GetValue<string>());
        Assert.Equal("application/vnd.oci.image.index.v1+json", layoutIndex["manifests"]![0]!["mediaType"]!.GetValue<string>());
        foreach (var architecture in new[] { "amd64", "arm64" })
        {
            var config = Skopeo("--override-arch", architecture, "inspect", "--config", $"oci:{extracted}:tests/multi-archive:latest");
            Assert.Equal(architecture, config["architecture"]!.GetValue<string>());
        }
    }

    private string GetBase() => multiPlatformBase.Get(fixture);
}
