using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>Issue 8.3: no root and no container runtime are needed when no RUN step is involved.</summary>
[Collection("publish")]
public sealed class UnprivilegedPublishTests(PublishFixture fixture)
{
    private const int Nobody = 65534;

    [Fact]
    public void PublishContainer_AsAnUnprivilegedUser_PushesTheImage_IntoTheUsersDefaultCsbuildRoot()
    {
        using var dir = new TempDirectory("csbuild-nonroot");
        var feed = dir.Combine("feed");
        Directory.CreateDirectory(feed);
        foreach (var package in Directory.EnumerateFiles(fixture.Feed, "*.nupkg"))
            File.Copy(package, Path.Combine(feed, Path.GetFileName(package)));
        SampleApps.WriteConsoleApp(dir.Path, feed);
        var chmod = ProcessRunner.Run("chmod", "-R", "a+rwX", dir.Path);
        Assert.True(chmod.ExitCode == 0, chmod.ToString());

        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = dir.Combine("home"),
            ["DOTNET_CLI_HOME"] = dir.Combine("home"),
            ["XDG_DATA_HOME"] = dir.Combine("home", "data"),
            ["NUGET_PACKAGES"] = dir.Combine("home", "packages"),
            ["CSBUILD_ROOT"] = null,
            ["SOURCE_DATE_EPOCH"] = null,
        };
        var result = DotnetCli.RunAs((Nobody, Nobody), dir.Path, environment,
            "publish", dir.Combine(SampleApps.ConsoleProject), "-t:PublishContainer", "--disable-build-servers",
            $"-p:ContainerBaseImage={fixture.BaseImage}", $"-p:ContainerRegistry={fixture.Registry.Host}", "-p:ContainerRepository=tests/nonroot");
        Assert.True(result.ExitCode == 0, result.ToString());

        // The CLI's default root for a non-root user, shared with `csbuild`: it holds the base image and the new layers.
        var root = dir.Combine("home", "data", "csbuild");
        Assert.True(File.Exists(Path.Combine(root, "index.json")), "no csbuild root at " + root);
        Assert.Equal((uint)Nobody, Csbuild.Oci.Native.Libc.StatNoFollow(root).Uid);
        Assert.Equal(4, ImageRunner.LayerDigests(fixture.Registry.Reference("tests/nonroot:latest")).Count);
    }
}
