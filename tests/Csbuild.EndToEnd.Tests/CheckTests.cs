using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

[Collection("busybox")]
public sealed class CheckTests(BusyboxStoreFixture busybox)
{
    [Fact]
    public void Check_ReportsWarningsWithFileAndLine_AndFailsOnThem_WithoutBuilding()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", "FROM busybox:latest as Build\nMAINTAINER someone\nCMD echo $UNDEFINED_THING\n");
        var result = CsbuildProgram.Run(root, "build", "--check", "-t", "checked:1", dir.Combine("ctx"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Dockerfile:1:", result.Stdout); // stage name casing
        Assert.Contains("Dockerfile:2:", result.Stdout); // MAINTAINER is deprecated
        Assert.Contains("JSONArgsRecommended", result.Stdout);
        Assert.Contains("warnings have been found", result.Stdout);
        Assert.DoesNotContain("checked:1", File.ReadAllText(Path.Combine(root, "index.json")));

        dir.Write("ctx/Dockerfile", "FROM busybox:latest AS build\nCMD [\"true\"]\n");
        var clean = CsbuildProgram.Run(root, "build", "--check", dir.Combine("ctx"));
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Contains("no warnings found", clean.Stdout);
    }

    [Fact]
    public void Build_PrintsWarnings_ButSucceeds()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", "FROM busybox:latest\nMAINTAINER someone\n");
        var result = CsbuildProgram.Run(root, "build", "-t", "warned:1", dir.Combine("ctx"));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Dockerfile:2:1: warning: MaintainerDeprecated", result.Stderr);
    }
}
