using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// What the cache decides, seen through the real CLI: which steps run again after which change, the
/// --no-cache flags, parallel stages, and the space commands (du, prune) that must keep tagged images whole.
/// </summary>
[Collection("busybox")]
public sealed class CacheBehaviourTests(BusyboxStoreFixture busybox)
{
    private static PlainProgress Build(string root, string context, params string[] extra)
    {
        var result = CsbuildProgram.Run(root, ["build", "--progress=plain", .. extra, context]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return new PlainProgress(result.Stderr);
    }

    /// <summary>
    /// As BuildKit's content-based keys: a COPY --from=STAGE is keyed by the files it selects, so when the stage runs
    /// again but yields the same files, the copy and the steps after it hit, and the image is the very same one.
    /// </summary>
    [Fact]
    public void ACopyFromAStage_Hits_WhenTheStageRanAgainButMadeTheSameFiles()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest AS build
            COPY list.txt /src/list.txt
            RUN wc -l < /src/list.txt > /count

            FROM busybox:latest
            COPY --from=build /count /count
            RUN cat /count > /seen
            COPY list.txt /list.txt
            """);
        dir.Write("ctx/list.txt", "a\nb\n");
        string Iid(string name) => File.ReadAllText(dir.Combine(name));

        Assert.Equal(5, Build(root, ctx, "-t", "stages:1", "--iidfile", dir.Combine("iid1")).StepsWith("DONE").Count());

        // Same number of lines: the build stage runs again, /count is the same file, the rest hits (but the last COPY).
        File.WriteAllText(Path.Combine(ctx, "list.txt"), "c\nd\n");
        var same = Build(root, ctx, "-t", "stages:1", "--iidfile", dir.Combine("iid2"));
        Assert.Equal("DONE", same.OutcomeOf("RUN wc"));
        Assert.Equal("CACHED", same.OutcomeOf("COPY --from=build /count"));
        Assert.Equal("CACHED", same.OutcomeOf("RUN cat /count"));
        Assert.Equal("DONE", same.OutcomeOf("COPY list.txt /list.txt"));

        // Back to the first content: every step hits (the content hit was filed under the definition key too).
        File.WriteAllText(Path.Combine(ctx, "list.txt"), "a\nb\n");
        Assert.Empty(Build(root, ctx, "-t", "stages:1", "--iidfile", dir.Combine("iid3")).StepsWith("DONE"));
        Assert.Equal(Iid("iid1"), Iid("iid3"));

        // A third line changes /count: the copy and what follows run.
        File.WriteAllText(Path.Combine(ctx, "list.txt"), "a\nb\nc\n");
        var changed = Build(root, ctx, "-t", "stages:1");
        Assert.Equal("DONE", changed.OutcomeOf("COPY --from=build /count"));
        Assert.Equal("DONE", changed.OutcomeOf("RUN cat /count"));
        var seen = CsbuildProgram.Run(root, "run", "--rm", "stages:1", "cat", "/seen");
        Assert.True(seen.ExitCode == 0, seen.ToString());
        Assert.Equal("3", seen.Stdout.Trim());
    }

    /// <summary>
    /// A collector drops least recently used records first, so the record of a step below a hit may be gone while the
    /// hit remains. The image's history needs every step's record (did it add a layer, when was it built): such a hit is
    /// not taken; the step below runs again and the image is the same one.
    /// </summary>
    [Fact]
    public void AHitWhoseStageLostARecordBelowIt_IsNotTaken_AndTheImageStaysTheSame()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", "FROM busybox:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n");
        dir.Write("ctx/a.txt", "a");
        var env = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = "1700000000" };
        var first = CsbuildProgram.Run(root, env, "build", "--progress=plain", "--iidfile", dir.Combine("iid1"), ctx);
        Assert.True(first.ExitCode == 0, first.ToString());

        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(root, "cache.db")};Pooling=False"))
        {
            db.Open();
            using var delete = db.CreateCommand();
            delete.CommandText = "DELETE FROM cache_records WHERE description LIKE '%COPY a.txt%'";
            Assert.Equal(1, delete.ExecuteNonQuery());
        }

        var again = CsbuildProgram.Run(root, env, "build", "--progress=plain", "--iidfile", dir.Combine("iid2"), ctx);
        Assert.True(again.ExitCode == 0, again.ToString());
        var progress = new PlainProgress(again.Stderr);
        Assert.Equal("DONE", progress.OutcomeOf("COPY a.txt"));
        Assert.Equal("CACHED", progress.OutcomeOf("RUN cat /a.txt"));
        Assert.Equal(File.ReadAllText(dir.Combine("iid1")), File.ReadAllText(dir.Combine("iid2")));
    }

    [Fact]
    public void ChangingAFile_RerunsExactlyTheStepsThatDependOnIt_WhileTouchAndIgnoredFilesHit()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest
            COPY first.txt /first.txt
            RUN cat /first.txt > /first.out
            COPY second.txt /second.txt
            RUN cat /second.txt > /second.out
            COPY . /all/
            RUN ls /all > /listing
            """);
        dir.Write("ctx/first.txt", "one");
        dir.Write("ctx/second.txt", "two");
        dir.Write("ctx/ignored.log", "noise");
        dir.Write("ctx/.dockerignore", "*.log\n");

        var first = Build(root, ctx, "-t", "steps:1");
        Assert.Equal(6, first.StepsWith("DONE").Count());

        // A rebuild hits fully.
        var rebuild = Build(root, ctx, "-t", "steps:1");
        Assert.Empty(rebuild.StepsWith("DONE"));

        // New mtimes alone (same content) hit: keys use content, not times.
        foreach (var file in Directory.EnumerateFiles(ctx))
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(5));
        Assert.Empty(Build(root, ctx, "-t", "steps:1").StepsWith("DONE"));

        // A file .dockerignore excludes is not part of any key.
        File.WriteAllText(Path.Combine(ctx, "ignored.log"), "different noise");
        Assert.Empty(Build(root, ctx, "-t", "steps:1").StepsWith("DONE"));

        // Changing second.txt re-runs its COPY and everything after it, nothing before.
        File.WriteAllText(Path.Combine(ctx, "second.txt"), "TWO");
        var changed = Build(root, ctx, "-t", "steps:1");
        Assert.Equal("CACHED", changed.OutcomeOf("COPY first.txt"));
        Assert.Equal("CACHED", changed.OutcomeOf("RUN cat /first.txt"));
        Assert.Equal("DONE", changed.OutcomeOf("COPY second.txt"));
        Assert.Equal("DONE", changed.OutcomeOf("RUN cat /second.txt"));
        Assert.Equal("DONE", changed.OutcomeOf("COPY . /all/"));
        Assert.Equal("DONE", changed.OutcomeOf("RUN ls /all"));
        Assert.Equal(4, changed.StepsWith("DONE").Count());
    }

    [Fact]
    public void ABuildArg_RerunsOnlyTheStepsAfterItsArg_AndAnArgNoStepSeesChangesNothing()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest AS other
            RUN echo other-stage > /other

            FROM busybox:latest
            RUN echo before-arg > /before
            ARG VERSION=1
            RUN echo "version $VERSION" > /version
            COPY --from=other /other /other
            """);

        Build(root, ctx, "-t", "args:1", "--build-arg", "VERSION=1");
        var changed = Build(root, ctx, "-t", "args:1", "--build-arg", "VERSION=2");
        Assert.Equal("CACHED", changed.OutcomeOf("RUN echo before-arg"));
        Assert.Equal("CACHED", changed.OutcomeOf("RUN echo other-stage")); // the other stage declares no VERSION
        Assert.Equal("DONE", changed.OutcomeOf("RUN echo \"version"));
        Assert.Equal("DONE", changed.OutcomeOf("COPY --from=other"));

        // An argument no stage declares is in no key.
        var unrelated = Build(root, ctx, "-t", "args:1", "--build-arg", "VERSION=2", "--build-arg", "UNDECLARED=x");
        Assert.Empty(unrelated.StepsWith("DONE"));
    }

    [Fact]
    public void NoCache_RerunsEverything_AndNoCacheFilter_OnlyTheNamedStage()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest AS deps
            RUN echo deps > /deps

            FROM busybox:latest AS app
            COPY --from=deps /deps /deps
            RUN echo app > /app
            """);
        Build(root, ctx, "-t", "nc:1");
        Assert.Empty(Build(root, ctx, "-t", "nc:1").StepsWith("DONE"));

        var noCache = Build(root, ctx, "-t", "nc:1", "--no-cache");
        Assert.Equal("DONE", noCache.OutcomeOf("RUN echo deps"));
        Assert.Equal("DONE", noCache.OutcomeOf("RUN echo app"));

        var filtered = Build(root, ctx, "-t", "nc:1", "--no-cache-filter", "app");
        Assert.Equal("CACHED", filtered.OutcomeOf("RUN echo deps"));
        Assert.Equal("DONE", filtered.OutcomeOf("RUN echo app"));
    }

    [Fact]
    public void StagesWithoutADependency_RunAtTheSameTime()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest AS left
            RUN sleep 2 && echo left > /left

            FROM busybox:latest AS right
            RUN sleep 2 && echo right > /right

            FROM busybox:latest
            COPY --from=left /left /left
            COPY --from=right /right /right
            """);
        var result = CsbuildProgram.Run(root, "build", "--progress=rawjson", "--jobs", "2", "-t", "par:1", ctx);
        Assert.True(result.ExitCode == 0, result.ToString());

        (DateTimeOffset Start, DateTimeOffset End) Span(string fragment)
        {
            var events = result.Stderr.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!)
                .Where(e => e["name"]!.GetValue<string>().Contains(fragment, StringComparison.Ordinal)).ToList();
            var start = events.Single(e => e["event"]!.GetValue<string>() == "started")["time"]!.GetValue<DateTimeOffset>();
            var end = events.Single(e => e["event"]!.GetValue<string>() == "done")["time"]!.GetValue<DateTimeOffset>();
            return (start, end);
        }
        var left = Span("echo left");
        var right = Span("echo right");
        Assert.True(left.Start < right.End && right.Start < left.End,
            $"the two independent stages ran one after the other: left {left.Start:O}–{left.End:O}, right {right.Start:O}–{right.End:O}");
    }

    [Fact]
    public void Prune_KeepsTaggedImagesWhole_AndKeepStorageEvictsLeastRecentlyUsedFirst()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest
            ARG VARIANT=0
            RUN head -c 1000000 /dev/urandom > /blob-$VARIANT
            """);
        Build(root, ctx, "-t", "kept:1", "--build-arg", "VARIANT=tagged");
        // Three untagged variants: cache only, each ~1 MB of incompressible layer plus its ~1 MB snapshot.
        foreach (var variant in new[] { "a", "b", "c" })
        {
            Build(root, ctx, "--build-arg", "VARIANT=" + variant);
            Thread.Sleep(20);
        }

        var before = Usage(root);
        Assert.True(before["reclaimableBytes"]!.GetValue<long>() >= 6_000_000, before.ToJsonString());
        // Room for everything but ~2.5 MB: the two least recently used variants (a, b) must go, c stays.
        var budget = before["snapshotBytes"]!.GetValue<long>() + before["blobBytes"]!.GetValue<long>() - 2_500_000;
        var prune = CsbuildProgram.Run(root, "prune", "--keep-storage", budget.ToString());
        Assert.True(prune.ExitCode == 0, prune.ToString());
        var after = Usage(root);
        Assert.True(after["snapshotBytes"]!.GetValue<long>() + after["blobBytes"]!.GetValue<long>() <= budget, after.ToJsonString());

        Assert.Equal("CACHED", Build(root, ctx, "--build-arg", "VARIANT=c").OutcomeOf("RUN head"));
        Assert.Equal("DONE", Build(root, ctx, "--build-arg", "VARIANT=a").OutcomeOf("RUN head"));

        // Everything goes with --all except what the tagged image is made of, which other tools still read. Blobs
        // written in the collector's last 100 ms are kept (a build that just started may own them): wait past that.
        Thread.Sleep(250);
        var all = CsbuildProgram.Run(root, "prune", "--all");
        Assert.True(all.ExitCode == 0, all.ToString());
        var empty = Usage(root);
        Assert.Equal(0, empty["records"]!.GetValue<long>());
        Assert.Equal(0, empty["snapshots"]!.GetValue<long>());
        Assert.Equal(0, empty["reclaimableBytes"]!.GetValue<long>());
        var inspect = ProcessRunner.Run("skopeo", "inspect", $"oci:{root}:kept:1");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{root}:kept:1", dir.Combine("bundle"));
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        Assert.Equal(1_000_000, new FileInfo(dir.Combine("bundle", "rootfs", "blob-tagged")).Length);

        // And the image still builds on: its layers are unpacked again from their blobs.
        var rebuilt = Build(root, ctx, "-t", "kept:1", "--build-arg", "VARIANT=tagged");
        Assert.Equal("DONE", rebuilt.OutcomeOf("RUN head"));
    }

    [Fact]
    public void PruneAndDu_RejectBadFlags_WithAUsageError()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("root");
        var badFilter = CsbuildProgram.Run(root, "prune", "--filter", "label=x");
        Assert.Equal(2, badFilter.ExitCode);
        Assert.Contains("until=DURATION", badFilter.Stderr);
        var badSize = CsbuildProgram.Run(root, "prune", "--keep-storage", "lots");
        Assert.Equal(2, badSize.ExitCode);
        Assert.Contains("--keep-storage", badSize.Stderr);
        var du = CsbuildProgram.Run(root, "du");
        Assert.True(du.ExitCode == 0, du.ToString());
        Assert.Contains("Reclaimable:", du.Stdout);
    }

    internal static JsonNode Usage(string root)
    {
        var du = CsbuildProgram.Run(root, "du", "--format", "json");
        Assert.True(du.ExitCode == 0, du.ToString());
        return JsonNode.Parse(du.Stdout)!;
    }
}
