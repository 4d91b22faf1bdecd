using System.Diagnostics;
using System.Formats.Tar;
using System.Text.Json.Nodes;
using Csbuild.Hardening.Support;
using Csbuild.TestSupport;
using Xunit.Abstractions;

namespace Csbuild.Hardening.Faults;

/// <summary>
/// Issue 11, item 4: csbuild killed with SIGKILL at random moments of a build, an export and a push (20 kills
/// that landed). After each kill the next run succeeds and produces exactly the image the root built before any kill
/// (same manifest digest, thanks to SOURCE_DATE_EPOCH); at the end no mount is left and check-store is clean.
/// </summary>
[Collection("csbuild")]
public sealed class KillTests(BusyboxBase busybox, ITestOutputHelper output)
{
    private const int BuildKills = 8, ExportKills = 6, PushKills = 6;

    private static readonly Dictionary<string, string?> Reproducible = new() { ["SOURCE_DATE_EPOCH"] = "1700000000" };

    [Fact]
    public void TwentySigkills_DuringBuildExportAndPush_LeaveARootThatBuildsTheCleanImage()
    {
        using var registry = RegistryFixture.Start(new RegistryFixtureOptions());
        using var dir = new TempDirectory("csbuild-kill");
        var random = new Random(1111);
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest
            COPY payload.bin /payload.bin
            RUN head -c 1000000 /payload.bin | sha256sum > /payload.sum && echo ran > /ran
            RUN echo done > /done
            """);
        var payload = new byte[24 << 20];
        random.NextBytes(payload);
        File.WriteAllBytes(Path.Combine(ctx, "payload.bin"), payload);

        // The reference: the first build of the root, before any kill (the base image's import is part of the
        // image, so the reference must share it); every killed build below runs with --no-cache.
        var root = busybox.NewRoot(dir);
        var expected = BuildDigest(root, dir, ctx);
        var expectedOci = ExportDigest(root, dir.Combine("clean.oci.tar"), ctx);
        int kills = 0, attempts = 0;

        kills += KillRepeatedly("build", BuildKills, random, ref attempts,
            () => CsbuildProgram.Start(root, Reproducible, "build", "--no-cache", "--progress=plain", "-t", "app:1", ctx),
            () => Assert.Equal(expected, BuildDigest(root, dir, ctx)));

        var ociOut = dir.Combine("out.oci.tar");
        kills += KillRepeatedly("export", ExportKills, random, ref attempts,
            () => CsbuildProgram.Start(root, Reproducible, "build", "--progress=plain", "-o", $"type=oci,dest={ociOut}", ctx),
            () => Assert.Equal(expectedOci, ExportDigest(root, ociOut, ctx)));

        // Every push goes to a repository of its own, so each one uploads the layers for real (a push of what the
        // repository already holds is a single HEAD request: nothing to interrupt). The layers are gzip-compressed on
        // the way, so the pushed manifest is the one an uninterrupted push gives, not the store's.
        var expectedPushed = PushedDigest(root, registry.Reference("killed/reference:1"));
        int pushes = 0;
        var remote = "";
        kills += KillRepeatedly("push", PushKills, random, ref attempts,
            () =>
            {
                remote = registry.Reference($"killed/app{++pushes}:1");
                Assert.Equal(0, CsbuildProgram.Run(root, "tag", "app:1", remote).ExitCode);
                return CsbuildProgram.Start(root, null, "push", remote);
            },
            () =>
            {
                Assert.Equal(expectedPushed, PushedDigest(root, remote));
            });

        Assert.Equal(BuildKills + ExportKills + PushKills, kills);
        Assert.Empty(RootInspector.MountsUnder(root));
        var check = CsbuildProgram.Run(root, "check-store");
        Assert.True(check.ExitCode == 0, check.ToString());
        output.WriteLine($"{kills} kills landed in {attempts} attempts");
        Figures.Record("SIGKILLs injected (build, export, push)", kills);
    }

    /// <summary>
    /// Starts the operation and SIGKILLs it after a random delay until <paramref name="wanted"/> kills landed mid-run;
    /// verifies after each. The delays are drawn from the time one uninterrupted run takes on this machine (a native
    /// csbuild exports a cached build in tens of milliseconds, a JIT-compiled one in hundreds), so kills land inside
    /// the work whatever its speed.
    /// </summary>
    private int KillRepeatedly(string what, int wanted, Random random, ref int attempts, Func<RunningCsbuild> start, Action verify)
    {
        var span = Uninterrupted(what, start);
        verify();
        int minMs = Math.Max(1, span / 10), maxMs = Math.Max(minMs + 1, span * 19 / 20);
        int landed = 0;
        while (landed < wanted)
        {
            Assert.True(++attempts <= 3 * (BuildKills + ExportKills + PushKills), $"too many {what} runs finished before the kill");
            var delay = random.Next(minMs, maxMs);
            using var run = start();
            run.Process.WaitForExit(delay);
            if (run.KillNow())
            {
                landed++;
                output.WriteLine($"{what}: killed after {delay} ms (an uninterrupted run took {span} ms)");
            }
            else
            {
                Assert.True(run.Process.ExitCode == 0, $"{what} failed before it was killed:\n{run.Output}");
                maxMs = Math.Max(minMs + 1, (minMs + maxMs) / 2); // it finished first: aim earlier
            }
            verify();
        }
        return landed;
    }

    /// <summary>Runs the operation once to its end and returns how long it took, in milliseconds.</summary>
    private static int Uninterrupted(string what, Func<RunningCsbuild> start)
    {
        var clock = Stopwatch.StartNew();
        using var run = start();
        var exit = run.WaitForExit(TimeSpan.FromMinutes(5));
        Assert.True(exit == 0, $"an uninterrupted {what} failed:\n{run.Output}");
        return (int)Math.Max(2, clock.ElapsedMilliseconds);
    }

    /// <summary>Tags app:1 as <paramref name="remote"/>, pushes it and returns the digest the registry reports for it.</summary>
    private static string PushedDigest(string root, string remote)
    {
        Assert.Equal(0, CsbuildProgram.Run(root, "tag", "app:1", remote).ExitCode);
        var push = CsbuildProgram.Run(root, "push", remote);
        Assert.True(push.ExitCode == 0, push.ToString());
        var inspect = ProcessRunner.Run("skopeo", "inspect", "--tls-verify=false", "docker://" + remote);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        return JsonNode.Parse(inspect.Stdout)!["Digest"]!.GetValue<string>();
    }

    private static string BuildDigest(string root, TempDirectory dir, string ctx)
    {
        var iid = dir.Combine("iid-" + Guid.NewGuid().ToString("N")[..6]);
        var build = CsbuildProgram.Run(root, Reproducible, "build", "--progress=plain", "-t", "app:1", "--iidfile", iid, ctx);
        Assert.True(build.ExitCode == 0, build.ToString());
        return File.ReadAllText(iid).Trim();
    }

    /// <summary>Exports to an OCI archive and returns the manifest digest its index.json names.</summary>
    private static string ExportDigest(string root, string destination, string ctx)
    {
        var build = CsbuildProgram.Run(root, Reproducible, "build", "--progress=plain", "-o", $"type=oci,dest={destination}", ctx);
        Assert.True(build.ExitCode == 0, build.ToString());
        using var reader = new TarReader(File.OpenRead(destination));
        while (reader.GetNextEntry() is { } entry)
            if (entry.Name.TrimStart('.', '/') == "index.json")
                return JsonNode.Parse(entry.DataStream!)!["manifests"]![0]!["digest"]!.GetValue<string>();
        throw new InvalidDataException("the OCI archive has no index.json");
    }
}
