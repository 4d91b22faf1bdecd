using System.Diagnostics;
using System.Text.Json.Nodes;
using Csbuild.Cache.Gc;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// A csbuild process killed with SIGKILL (no cleanup code runs) must leave a root that the next run cleans up
/// and builds on correctly: no mounts left in the host's mount table, no temp files, a correct image.
/// </summary>
[Collection("busybox")]
public sealed class CrashRecoveryTests(BusyboxStoreFixture busybox)
{
    private const string Dockerfile = """
        FROM busybox:latest
        RUN echo first > /first
        COPY payload.bin /payload.bin
        ARG NAP=0
        RUN sleep $NAP; head -c 300000 /payload.bin > /payload.head; echo finished > /finished
        """;

    [Fact]
    public void ABuildKilledMidRun_LeavesARootTheNextBuildCleansAndUses()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = WriteContext(dir);
        try
        {
            using (var killed = StartBuild(root, ctx, "--build-arg", "NAP=60"))
            {
                // Wait until the RUN step's overlay is mounted on the host and its container runs, then kill the process outright.
                ConcurrencyTests.WaitUntil(() => (StaleMounts.Under(root).Count > 0 && ContainersOf(root).Count > 0) || killed.HasExited, TimeSpan.FromSeconds(90));
                Thread.Sleep(300); // well inside the step's sleep
                Assert.False(killed.HasExited, "the build ended before it could be killed");
                killed.Kill();
                killed.WaitForExit();
            }
            Assert.NotEmpty(StaleMounts.Under(root)); // what a SIGKILL leaves: the test does exercise the cleanup
            Assert.NotEmpty(TempEntries(root));

            Assert.NotEmpty(ContainersOf(root)); // and the step's container, still running under the runtime

            var next = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "crash:1", ctx);
            Assert.True(next.ExitCode == 0, next.ToString());
            Assert.Empty(StaleMounts.Under(root));
            Assert.Empty(TempEntries(root));
            Assert.Empty(ContainersOf(root));
            AssertImageIsCorrect(root, dir);
        }
        finally
        {
            KillOrphanContainers(root);
        }
    }

    [Fact]
    public void BuildsKilledAtManyMoments_NeverBreakTheRoot()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = WriteContext(dir);
        try
        {
            // Kill points spread over the build: parsing, unpacking, the first RUN, COPY, layer compression, export.
            foreach (var delay in new[] { 150, 400, 700, 1000, 1400, 1900, 2500 })
            {
                File.AppendAllText(Path.Combine(ctx, "payload.bin"), delay.ToString()); // a new COPY and RUN each time
                using var build = StartBuild(root, ctx, "--build-arg", "NAP=0");
                Thread.Sleep(delay);
                if (!build.HasExited) build.Kill();
                build.WaitForExit();
            }

            var next = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "crash:1", ctx);
            Assert.True(next.ExitCode == 0, next.ToString());
            Assert.Empty(StaleMounts.Under(root));
            Assert.Empty(TempEntries(root));
            AssertImageIsCorrect(root, dir);
            var again = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "crash:1", ctx);
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Empty(new PlainProgress(again.Stderr).StepsWith("DONE"));
        }
        finally
        {
            KillOrphanContainers(root);
        }
    }

    private static string WriteContext(TempDirectory dir)
    {
        dir.Write("ctx/Dockerfile", Dockerfile);
        var payload = new byte[3_000_000];
        new Random(42).NextBytes(payload);
        File.WriteAllBytes(dir.Combine("ctx", "payload.bin"), payload);
        return dir.Combine("ctx");
    }

    private static Process StartBuild(string root, string ctx, params string[] extra)
    {
        var start = CsbuildExecutable.StartInfo(new[] { "build", "--progress=plain", "-t", "crash:1" }.Concat(extra).Append(ctx));
        start.Environment["CSBUILD_ROOT"] = root;
        start.Environment["NO_COLOR"] = "1";
        var process = Process.Start(start)!;
        // Drain the pipes so the build never blocks on a full one.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void AssertImageIsCorrect(string root, TempDirectory dir)
    {
        var inspect = ProcessRunner.Run("skopeo", "inspect", $"oci:{root}:crash:1");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Equal(4, JsonNode.Parse(inspect.Stdout)!["Layers"]!.AsArray().Count);
        var bundle = dir.Combine("bundle-" + Guid.NewGuid().ToString("N")[..6]);
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{root}:crash:1", bundle);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        Assert.Equal("first\n", File.ReadAllText(Path.Combine(bundle, "rootfs", "first")));
        Assert.Equal("finished\n", File.ReadAllText(Path.Combine(bundle, "rootfs", "finished")));
        Assert.Equal(File.ReadAllBytes(dir.Combine("ctx", "payload.bin")), File.ReadAllBytes(Path.Combine(bundle, "rootfs", "payload.bin")));
        Assert.Equal(300_000, new FileInfo(Path.Combine(bundle, "rootfs", "payload.head")).Length);
    }

    private static List<string> TempEntries(string root) =>
        new[] { Path.Combine(root, "tmp"), Path.Combine(root, "snapshots") }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFileSystemEntries(d, "*.tmp"))
            .ToList();

    private const string RuntimeState = "/run/csbuild/runc";

    // Containers the runtime knows whose bundle lies in this root.
    private static List<string> ContainersOf(string root) =>
        !Directory.Exists(RuntimeState)
            ? []
            : Directory.EnumerateDirectories(RuntimeState)
                .Where(state => File.Exists(Path.Combine(state, "state.json"))
                    && File.ReadAllText(Path.Combine(state, "state.json")).Contains(root + "/", StringComparison.Ordinal))
                .Select(state => Path.GetFileName(state)).ToList();

    // Should a test fail half-way, do not leave its containers running or its mounts in the host's table.
    private static void KillOrphanContainers(string root)
    {
        foreach (var id in ContainersOf(root))
        {
            ProcessRunner.Run("runc", "--root", RuntimeState, "kill", id, "KILL");
            ProcessRunner.Run("runc", "--root", RuntimeState, "delete", "--force", id);
        }
        StaleMounts.Detach(root);
    }
}
