using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>
/// `dotnet publish -t:PublishContainer` of a real console app with the package from the local feed: pushed to the test
/// registry, pulled back by skopeo, unpacked by umoci, run by runc.
/// </summary>
[Collection("publish")]
public sealed class ConsoleAppPublishTests(PublishFixture fixture)
{
    private ProcessResult Publish(TempDirectory dir, string repository, params string[] extra)
    {
        string[] arguments =
        [
            "publish", Path.Combine(dir.Path, SampleApps.ConsoleProject), "-t:PublishContainer", "--disable-build-servers", "-v:n",
            $"-p:ContainerBaseImage={fixture.BaseImage}", $"-p:ContainerRegistry={fixture.Registry.Host}",
            $"-p:ContainerRepository={repository}", .. extra,
        ];
        var result = DotnetCli.Run(dir.Path, fixture.Environment(dir.Combine("csbuild-root")), arguments);
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
}
