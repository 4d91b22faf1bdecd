using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>
/// `dotnet publish -t:PublishContainer` of a real console app with the package from the local feed: pushed to the test
/// registry, pulled back by skopeo, unpacked by umoci, run by runc.
/// </summary>
[Collection("publish")]
public sealed class ConsoleAppPublishTests(PublishFixture fixture)
{
    private ProcessResult Publish(TempDirectory dir, string repository, params string[] extra) =>
        Publish(dir, repository, fixture.Environment(dir.Combine("csbuild-root")), extra);

    private ProcessResult Publish(TempDirectory dir, string repository, Dictionary<string, string?> environment, params string[] extra)
    {
        string[] arguments =
        [
            "publish", Path.Combine(dir.Path, SampleApps.ConsoleProject), "-t:PublishContainer", "--disable-build-servers", "-v:n",
            $"-p:ContainerBaseImage={fixture.BaseImage}", $"-p:ContainerRegistry={fixture.Registry.Host}",
            $"-p:ContainerRepository={repository}", .. extra,
        ];
        var result = DotnetCli.Run(dir.Path, environment, arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    [Fact]
    public void PublishContainer_PushesAnImage_ThatRunsTheApp_WithDependencyProjectAndAppLayers()
    {
        using var dir = new TempDirectory("csbuild-console");
        SampleApps.WriteConsoleApp(dir.Path, fixture.Feed);

        var publish = Publish(dir, "tests/console", "-p:ContainerImageTag=1");
        var image = fixture.Registry.Reference("tests/console:1");
        Assert.Contains($"built image {image}", publish.Stdout);
        if (fixture.NativeBinaryPacked) Assert.Contains($"base image {fixture.BaseImage} pulled by the native csbuild", publish.Stdout);
        else Assert.DoesNotContain("native csbuild", publish.Stdout);

        // Base layer + NuGet dependencies + project reference + the app.
        var layers = ImageRunner.LayerDigests(image);
        Assert.Equal(4, layers.Count);
        Assert.Equal(ImageRunner.LayerDigests(fixture.BaseImage)[0], layers[0]);

        var config = ImageRunner.Inspect(image, config: true)["config"]!;
        Assert.Equal("/app/", config["WorkingDir"]!.GetValue<string>());
        Assert.Equal(["dotnet", "/app/HelloApp.dll", "first"], config["Entrypoint"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal("console", config["Labels"]!["test.label"]!.GetValue<string>());
        Assert.NotNull(config["ExposedPorts"]!["8080/tcp"]);

        var layout = ImageRunner.PullWithSkopeo(image, dir.Path);
        var bundle = ImageRunner.Unpack(layout, dir.Path);
        Assert.True(File.Exists(Path.Combine(bundle, "rootfs/app/Sprache.dll")));
        var run = ImageRunner.Run(bundle);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(
            "hello from the app\nhello from the library\nparsed 42 with Sprache\nargs: first,second\ncwd: /app\nGREETING_ENV=from-msbuild\n",
            run.Stdout.Replace("\r\n", "\n"));
    }

    [Fact]
    public void TheInProcessPull_GivesTheSameImage_AsTheNativeOne()
    {
        using var dir = new TempDirectory("csbuild-console");
        SampleApps.WriteConsoleApp(dir.Path, fixture.Feed);
        var inProcessEnvironment = fixture.Environment(dir.Combine("csbuild-root-in-process"));
        inProcessEnvironment["CSBUILD_CONTAINERS_NATIVE"] = "0";

        var first = Publish(dir, "tests/pull-paths", "-p:ContainerImageTag=native");
        var inProcess = Publish(dir, "tests/pull-paths", inProcessEnvironment, "-p:ContainerImageTag=in-process");

        Assert.Equal(fixture.NativeBinaryPacked, first.Stdout.Contains("pulled by the native csbuild", StringComparison.Ordinal));
        Assert.DoesNotContain("native csbuild", inProcess.Stdout);
        Assert.Equal(ImageRunner.Inspect(fixture.Registry.Reference("tests/pull-paths:native"))["Digest"]!.GetValue<string>(),
            ImageRunner.Inspect(fixture.Registry.Reference("tests/pull-paths:in-process"))["Digest"]!.GetValue<string>());
    }

    [Fact]
    public void OneLineCodeChange_PushesExactlyOneNewLayer_AndAnUnchangedRepublish_RebuildsAndUploadsNothing()
    {
        using var dir = new TempDirectory("csbuild-console");
        SampleApps.WriteConsoleApp(dir.Path, fixture.Feed);
        var image1 = fixture.Registry.Reference("tests/incremental:1");
        var image2 = fixture.Registry.Reference("tests/incremental:2");

        Publish(dir, "tests/incremental", "-p:ContainerImageTag=1");
        var first = ImageRunner.LayerDigests(image1);

        // Nothing changed: every layer comes from the cache, and the registry already has every blob.
        var again = Publish(dir, "tests/incremental", "-p:ContainerImageTag=1");
        Assert.Equal(3, CountOccurrences(again.Stdout, "unchanged, reused"));
        Assert.Contains($"pushed {image1}: 0 blobs uploaded", again.Stdout);
        Assert.Equal(first, ImageRunner.LayerDigests(image1));

        // One line of the app's code: only the app layer is new; it and the config are the only uploads.
        SampleApps.WriteConsoleProgram(dir.Path, "hello from the changed app");
        var changed = Publish(dir, "tests/incremental", "-p:ContainerImageTag=2");
        var second = ImageRunner.LayerDigests(image2);
        Assert.Equal(first.Count, second.Count);
        Assert.Equal(first.Take(3), second.Take(3));
        Assert.NotEqual(first[3], second[3]);
        Assert.Equal(2, CountOccurrences(changed.Stdout, "unchanged, reused"));
        Assert.Contains($"pushed {image2}: 2 blobs uploaded", changed.Stdout);
    }

    [Fact]
    public void TwoPublishesOfTheSameSource_FromClean_GiveTheSameDigest_AndTheSameArchiveBytes()
    {
        using var dir = new TempDirectory("csbuild-console");
        SampleApps.WriteConsoleApp(dir.Path, fixture.Feed);
        var archive = dir.Combine("out", "image.tar");

        string PublishClean(string rootName)
        {
            foreach (var output in new[] { "app/bin", "app/obj", "lib/bin", "lib/obj" })
                if (Directory.Exists(dir.Combine(output))) Directory.Delete(dir.Combine(output), recursive: true);
            string[] arguments =
            [
                "publish", dir.Combine(SampleApps.ConsoleProject), "-t:PublishContainer", "--disable-build-servers",
                $"-p:ContainerBaseImage={fixture.BaseImage}", "-p:ContainerRepository=tests/reproducible", $"-p:ContainerArchiveOutputPath={archive}",
            ];
            var result = DotnetCli.Run(dir.Path, fixture.Environment(dir.Combine(rootName)), arguments);
            Assert.True(result.ExitCode == 0, result.ToString());
            var digest = System.Text.RegularExpressions.Regex.Match(result.Stdout, @"built image tests/reproducible:latest \((sha256:[0-9a-f]{64})\)");
            Assert.True(digest.Success, result.Stdout);
            return digest.Groups[1].Value;
        }

        var first = PublishClean("root-a");
        var firstArchive = File.ReadAllBytes(archive);
        var second = PublishClean("root-b");
        Assert.Equal(first, second);
        Assert.Equal(firstArchive, File.ReadAllBytes(archive));

        // The archive is both a docker-load tarball and an OCI layout.
        var docker = ProcessRunner.Run("skopeo", "inspect", "docker-archive:" + archive);
        Assert.True(docker.ExitCode == 0, docker.ToString());
        var oci = ProcessRunner.Run("skopeo", "inspect", "oci-archive:" + archive);
        Assert.True(oci.ExitCode == 0, oci.ToString());
        Assert.Equal(first, System.Text.Json.Nodes.JsonNode.Parse(oci.Stdout)!["Digest"]!.GetValue<string>());
        Assert.Contains("\"org.opencontainers.image.created\": \"1970-01-01T00:00:00Z\"", oci.Stdout);
    }

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
