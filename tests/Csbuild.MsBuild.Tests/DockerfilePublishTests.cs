using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>
/// ContainerDockerfile: the project's Dockerfile is built by the csbuild solver with the publish directory as its
/// context (COPY . /app copies the publish output), ContainerBuildArg items as build arguments; RUN steps run in runc as
/// root, and without root (or without the runtime) the publish fails with CSB010.
/// </summary>
[Collection("publish")]
public sealed class DockerfilePublishTests(PublishFixture fixture)
{
    private void WriteDockerfile(TempDirectory dir, string body) =>
        SampleApps.Write(dir.Path, "app/Dockerfile", $"FROM {fixture.BaseImage}\n" + body);

    [Fact]
    public void ContainerDockerfile_WithCopyEnvAndRun_AsRootWithRunc_PushesTheImage_ThatRunsTheApp()
    {
        using var dir = new TempDirectory("csbuild-dockerfile");
        SampleApps.WriteConsoleApp(dir.Path, fixture.Feed);
        WriteDockerfile(dir, """
            ARG MARKER=unset
            ENV GREETING_ENV=from-dockerfile
            WORKDIR /app
            COPY . /app
            RUN echo "run saw $MARKER" > /app/run-marker.txt && test -f /app/HelloApp.dll && test -f /app/Sprache.dll
            ENTRYPOINT ["dotnet", "/app/HelloApp.dll", "from-entrypoint"]
            """);

        var result = DotnetCli.Run(dir.Path, fixture.Environment(dir.Combine("csbuild-root")),
            "publish", dir.Combine(SampleApps.ConsoleProject), "-t:PublishContainer", "--disable-build-servers", "-v:n",
            "-p:ContainerDockerfile=Dockerfile", $"-p:ContainerRegistry={fixture.Registry.Host}", "-p:ContainerRepository=tests/dockerfile",
            "-p:ContainerImageTag=1", "-p:ContainerBuildArgs=MARKER=from-msbuild");
        Assert.True(result.ExitCode == 0, result.ToString());
        OutputAssert.Contains("1 RUN step(s)", result);
        var image = fixture.Registry.Reference("tests/dockerfile:1");
        OutputAssert.Contains($"built image {image}", result);

        // ContainerLabel items apply (as --label); the rest of the config is the Dockerfile's.
        var config = ImageRunner.Inspect(image, config: true)["config"]!;
        Assert.Equal("console", config["Labels"]!["test.label"]!.GetValue<string>());
        Assert.Equal(["dotnet", "/app/HelloApp.dll", "from-entrypoint"], config["Entrypoint"]!.AsArray().Select(e => e!.GetValue<string>()));

        var bundle = ImageRunner.Unpack(ImageRunner.PullWithSkopeo(image, dir.Path), dir.Path);
        Assert.Equal("run saw from-msbuild\n", File.ReadAllText(Path.Combine(bundle, "rootfs/app/run-marker.txt")));
        var run = ImageRunner.Run(bundle);
        Assert.True(run.ExitCode == 0, run.ToString());
        var output = run.Stdout.Replace("\r\n", "\n");
        Assert.StartsWith("hello from the app\nhello from the library\nparsed 42 with Sprache\nargs: from-entrypoint\n", output);
        Assert.EndsWith("GREETING_ENV=from-dockerfile\n", output);

        // Built again unchanged: every step is a cache hit of the shared csbuild root.
        var again = DotnetCli.Run(dir.Path, fixture.Environment(dir.Combine("csbuild-root")),
            "publish", dir.Combine(SampleApps.ConsoleProject), "-t:PublishContainer", "--disable-build-servers", "-v:n",
            "-p:ContainerDockerfile=Dockerfile", "-p:ContainerRepository=tests/dockerfile", "-p:ContainerBuildArgs=MARKER=from-msbuild");
        Assert.True(again.ExitCode == 0, again.ToString());
        OutputAssert.Contains("[3/4] COPY . /app: CACHED", again);
        OutputAssert.Contains("[4/4] RUN echo \"run saw from-msbuild\" > /app/run-marker.txt && test -f /app/HelloApp.dll && test -f /app/Sprache.dll: CACHED", again);
    }

    [Fact]
    public void ContainerDockerfile_WithARunStep_WithoutRunc_FailsWithCsb010_NamingTheRuntime()
    {
        using var dir = new TempDirectory("csbuild-dockerfile");
        SampleApps.WriteConsoleApp(dir.Path, fixture.Feed);
        WriteDockerfile(dir, "COPY . /app\nRUN true\n");
        var result = DotnetCli.Run(dir.Path, fixture.Environment(dir.Combine("csbuild-root")),
            "publish", dir.Combine(SampleApps.ConsoleProject), "-t:PublishContainer", "--disable-build-servers",
            "-p:ContainerDockerfile=Dockerfile", "-p:ContainerRepository=tests/dockerfile-noruntime", "-p:ContainerOciRuntime=/nonexistent/runc");
        Assert.True(result.ExitCode != 0, result.ToString());
        OutputAssert.Contains("error CSB010: ContainerDockerfile has 1 RUN step(s)", result);
        OutputAssert.Contains("the OCI runtime '/nonexistent/runc' (not found)", result);
    }

    [Fact]
    public void ContainerDockerfile_AsAnUnprivilegedUser_BuildsWithoutRunSteps_AndFailsWithCsb010_WhenThereIsOne()
    {
        using var dir = new TempDirectory("csbuild-dockerfile-nonroot");
        var workspace = new UnprivilegedWorkspace(dir, fixture,
            () => WriteDockerfile(dir, "COPY . /app\nENTRYPOINT [\"dotnet\", \"/app/HelloApp.dll\"]\n"));
        ProcessResult PublishAsNobody(string repository) => workspace.PublishContainer(
            "-p:ContainerDockerfile=Dockerfile", $"-p:ContainerRegistry={fixture.Registry.Host}", $"-p:ContainerRepository={repository}");

        // COPY only: no container, so no root needed.
        var copyOnly = PublishAsNobody("tests/dockerfile-nonroot");
        Assert.True(copyOnly.ExitCode == 0, copyOnly.ToString());
        Assert.Equal(ImageRunner.LayerDigests(fixture.BaseImage).Count + 1,
            ImageRunner.LayerDigests(fixture.Registry.Reference("tests/dockerfile-nonroot:latest")).Count);

        // A RUN step: refused before anything runs, saying what it needs.
        SampleApps.Write(dir.Path, "app/Dockerfile", $"FROM {fixture.BaseImage}\nCOPY . /app\nRUN echo needs a container\n");
        var withRun = PublishAsNobody("tests/dockerfile-nonroot-run");
        Assert.True(withRun.ExitCode != 0, withRun.ToString());
        OutputAssert.Contains("error CSB010: ContainerDockerfile has 1 RUN step(s) (the first: ", withRun);
        OutputAssert.Contains($"which need root (this build runs as uid {UnprivilegedWorkspace.Nobody})", withRun);
    }
}
