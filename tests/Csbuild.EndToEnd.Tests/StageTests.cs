using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

[Collection("busybox")]
public sealed class StageTests(BusyboxStoreFixture busybox)
{
    private const string Dockerfile = """
        ARG FLAVOR=plain
        FROM busybox:latest AS build
        ARG FLAVOR
        RUN mkdir /out && echo "flavor=$FLAVOR" > /out/info.txt

        FROM scratch AS artifact
        COPY --from=build /out/info.txt /info.txt

        FROM busybox:latest AS final
        COPY --from=artifact /info.txt /etc/info.txt
        CMD ["cat", "/etc/info.txt"]
        """;

    [Fact]
    public void Target_BuildArgs_AndScratch_Work()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", Dockerfile);

        var build = CsbuildProgram.Run(root, "build", "--progress=plain", "--target", "artifact", "--build-arg", "FLAVOR=spicy", "-t", "artifact:1", dir.Combine("ctx"));
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.DoesNotContain("final", build.Stderr); // stages the target does not need are not built

        // A FROM scratch image holds exactly the one copied file, in one layer.
        var bundle = dir.Combine("bundle");
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{root}:artifact:1", bundle);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        Assert.Equal(new[] { "info.txt" }, Directory.GetFileSystemEntries(Path.Combine(bundle, "rootfs")).Select(Path.GetFileName));
        Assert.Equal("flavor=spicy\n", File.ReadAllText(Path.Combine(bundle, "rootfs", "info.txt")));
        var info = JsonNode.Parse(ProcessRunner.Run("skopeo", "inspect", $"oci:{root}:artifact:1").Stdout)!;
        Assert.Single(info["Layers"]!.AsArray());
    }

    [Fact]
    public void NoCache_RerunsEveryStep()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", Dockerfile);
        Assert.Equal(0, CsbuildProgram.Run(root, "build", "-t", "final:1", dir.Combine("ctx")).ExitCode);
        var again = CsbuildProgram.Run(root, "build", "--progress=plain", "--no-cache", "-t", "final:1", dir.Combine("ctx"));
        Assert.True(again.ExitCode == 0, again.ToString());
        var progress = new PlainProgress(again.Stderr);
        Assert.Equal("DONE", progress.OutcomeOf("RUN mkdir"));
        Assert.Equal("DONE", progress.OutcomeOf("COPY --from=artifact"));
    }
}
