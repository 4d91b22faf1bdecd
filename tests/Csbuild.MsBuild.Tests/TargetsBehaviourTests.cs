using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>The package's targets in real projects: the SDK's base image inference, and errors as coded MSBuild diagnostics.</summary>
[Collection("publish")]
public sealed class TargetsBehaviourTests(PublishFixture fixture)
{
    private string GetProperty(TempDirectory dir, string project, string property)
    {
        var result = DotnetCli.Run(dir.Path, fixture.Environment(dir.Combine("csbuild-root")),
            "msbuild", dir.Combine(project), "-restore", "-t:ComputeContainerConfig", "-getProperty:" + property, "--disable-build-servers");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim();
    }

    [Fact]
    public void BaseImage_IsInferredFromTheProject_AsTheSdkDoes()
    {
        using var dir = new TempDirectory("csbuild-targets");
        SampleApps.WriteConsoleApp(dir.Path, fixture.Feed);
        SampleApps.WriteWebApp(dir.Path, fixture.Feed);
        Assert.Equal("mcr.microsoft.com/dotnet/runtime:10.0", GetProperty(dir, SampleApps.ConsoleProject, "ContainerBaseImage"));
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", GetProperty(dir, SampleApps.WebProject, "ContainerBaseImage"));
        Assert.Equal("helloweb", GetProperty(dir, SampleApps.WebProject, "ContainerRepository"));
    }

    private ProcessResult PublishExpectingFailure(TempDirectory dir, params string[] extra)
    {
        string[] arguments =
        [
            "publish", dir.Combine(SampleApps.ConsoleProject), "-t:PublishContainer", "--disable-build-servers",
            "-p:ContainerRepository=tests/failing", .. extra,
        ];
        var result = DotnetCli.Run(dir.Path, fixture.Environment(dir.Combine("csbuild-root")), arguments);
        Assert.True(result.ExitCode != 0, result.ToString());
        return result;
    }

    [Fact]
    public void Failures_AreMsBuildErrorsWithCodes_AndHelp()
    {
        using var dir = new TempDirectory("csbuild-targets");
        SampleApps.WriteConsoleApp(dir.Path, fixture.Feed);

        var badOwner = PublishExpectingFailure(dir, $"-p:ContainerBaseImage={fixture.BaseImage}", "-p:ContainerFileOwner=app");
        OutputAssert.Contains("error CSB001: ContainerFileOwner 'app': expected numeric uid or uid:gid", badOwner);

        // Port 1 on loopback refuses at once: the pull fails fast and says which image and what to check.
        var unreachable = PublishExpectingFailure(dir, "-p:ContainerBaseImage=127.0.0.1:1/nothing:1");
        OutputAssert.Contains("error CSB002: cannot pull base image 127.0.0.1:1/nothing:1 for linux/amd64", unreachable);
        OutputAssert.Contains("DOTNET_CONTAINER_PULL_REGISTRY_UNAME", unreachable);

        // Each RID is published separately, which restore must have prepared: the project has no RuntimeIdentifiers.
        var multiArch = PublishExpectingFailure(dir, $"-p:ContainerBaseImage={fixture.BaseImage}", "-p:ContainerRuntimeIdentifiers=linux-x64%3Blinux-arm64");
        OutputAssert.Contains("error CSB009: ContainerRuntimeIdentifiers: linux-x64, linux-arm64 not in the project's RuntimeIdentifiers ('')", multiArch);

        // A single-platform base image of another architecture cannot serve an arm64 image.
        var otherArchitecture = PublishExpectingFailure(dir, $"-p:ContainerBaseImage={fixture.BaseImage}", "-p:ContainerRuntimeIdentifier=linux-arm64");
        OutputAssert.Contains($"error CSB005: base image {fixture.BaseImage} is built for linux/amd64, not linux/arm64", otherArchitecture);
    }
}
