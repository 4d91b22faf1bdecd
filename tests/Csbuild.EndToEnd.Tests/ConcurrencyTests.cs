using System.Diagnostics;
using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>Several csbuild processes on one root at once: builds racing for the same steps, and prune beside a build.</summary>
[Collection("busybox")]
public sealed class ConcurrencyTests(BusyboxStoreFixture busybox)
{
    [Fact]
    public async Task EightConcurrentBuilds_OnOneRoot_AllSucceed_WithCorrectImages()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        const int builds = 8;
        for (int i = 0; i < builds; i++)
        {
            // Shared steps (same keys in every build, so the processes race to record them) and one step of its own.
            dir.Write($"ctx{i}/Dockerfile", """
                FROM busybox:latest
                RUN echo shared > /shared
                COPY common.txt /common.txt
                COPY own.txt /own.txt
                RUN cat /own.txt /shared > /combined
                LABEL which=own
                """);
            dir.Write($"ctx{i}/common.txt", "common");
            dir.Write($"ctx{i}/own.txt", $"build {i}\n");
        }

        var results = await Task.WhenAll(Enumerable.Range(0, builds)
            .Select(i => Task.Run(() => CsbuildProgram.Run(root, "build", "--progress=plain", "-t", $"concurrent:{i}", dir.Combine($"ctx{i}")))));

        for (int i = 0; i < builds; i++)
        {
            Assert.True(results[i].ExitCode == 0, $"build {i}: {results[i]}");
            var inspect = ProcessRunner.Run("skopeo", "inspect", $"oci:{root}:concurrent:{i}");
            Assert.True(inspect.ExitCode == 0, inspect.ToString());
            Assert.Equal(5, JsonNode.Parse(inspect.Stdout)!["Layers"]!.AsArray().Count); // busybox, RUN, 2 COPY, RUN
            var bundle = dir.Combine($"bundle{i}");
            var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{root}:concurrent:{i}", bundle);
            Assert.True(unpack.ExitCode == 0, unpack.ToString());
            Assert.Equal($"build {i}\nshared\n", File.ReadAllText(Path.Combine(bundle, "rootfs", "combined")));
        }
        // The shared RUN step has one layer, whichever process recorded it first.
        var sharedLayers = Enumerable.Range(0, builds)
            .Select(i => JsonNode.Parse(ProcessRunner.Run("skopeo", "inspect", $"oci:{root}:concurrent:{i}").Stdout)!["Layers"]![1]!.GetValue<string>())
            .Distinct();
        Assert.Single(sharedLayers);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root, "tmp")));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(root, "snapshots"), "*.tmp"));
    }

    [Fact]
    public async Task PruneAll_BesideARunningBuild_DoesNotTakeWhatThatBuildUses()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest
            RUN echo cached-base > /base
            ARG WAIT=0
            RUN sleep $WAIT && cat /base > /copy
            """);
        // The first step is cache only (untagged build): exactly what prune --all removes when nothing leases it.
        var warm = CsbuildProgram.Run(root, "build", ctx);
        Assert.True(warm.ExitCode == 0, warm.ToString());

        var build = Task.Run(() => CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "leased:1", "--build-arg", "WAIT=4", ctx));
        WaitUntil(() => Directory.EnumerateDirectories(Path.Combine(root, "tmp"), "run-*").Any(), TimeSpan.FromSeconds(60));
        var prune = CsbuildProgram.Run(root, "prune", "--all");
        Assert.True(prune.ExitCode == 0, prune.ToString());

        var result = await build;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("CACHED", new PlainProgress(result.Stderr).OutcomeOf("RUN echo cached-base"));
        var bundle = dir.Combine("bundle");
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{root}:leased:1", bundle);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        Assert.Equal("cached-base\n", File.ReadAllText(Path.Combine(bundle, "rootfs", "copy")));
    }

    internal static void WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException("condition not met in " + timeout);
            Thread.Sleep(50);
        }
    }
}
