using System.Diagnostics;

namespace Csbuild.Executor.Tests;

/// <summary>Limits, cancellation, and that steps leave no mounts, cgroups or runtime state behind.</summary>
[Collection(ContainerCollection.Name)]
public sealed class LifecycleTests(ContainerFixture fixture)
{
    [Fact]
    public async Task ExceedingTheMemoryLimitIsReportedAsOomKill()
    {
        // dd allocates and fills a 64 MiB buffer: twice the limit.
        var run = await fixture.RunAsync("dd if=/dev/zero of=/dev/null bs=64M count=1",
            request => request with { MemoryBytes = 32L * 1024 * 1024 });

        Assert.True(run.Result.OomKilled);
        Assert.NotEqual(0, run.Result.ExitCode);
        Assert.False(run.Result.Succeeded);
        Assert.Equal("the step exceeded its memory limit of 32 MiB", run.Result.Message);
        Assert.Empty(fixture.LeftoverCgroups());
        Assert.Empty(fixture.LeftoverRuntimeState());
    }

    [Fact]
    public async Task StepThatSurvivesAnOomKilledChildSucceedsButIsFlagged()
    {
        var run = await fixture.RunAsync("dd if=/dev/zero of=/dev/null bs=64M count=1 || echo survived",
            request => request with { MemoryBytes = 32L * 1024 * 1024 });

        Assert.True(run.Result.Succeeded);
        Assert.True(run.Result.OomKilled);
        Assert.Equal("survived", run.Stdout);
    }

    [Fact]
    public async Task StepWithinTheMemoryLimitIsNotFlagged()
    {
        var run = (await fixture.RunAsync("dd if=/dev/zero of=/dev/null bs=1M count=4",
            request => request with { MemoryBytes = 64L * 1024 * 1024 })).AssertSucceeded();

        Assert.False(run.Result.OomKilled);
        Assert.Null(run.Result.Message);
    }

    [Fact]
    public async Task CancellationKillsTheStepPromptlyAndCleansUp()
    {
        var step = fixture.NewStep();
        using var cts = new CancellationTokenSource();
        var output = new CollectingProgress { OnLine = line => { if (line.Text == "started") cts.Cancel(); } };
        var stopwatch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            fixture.Runner.RunAsync(fixture.Request(step, "echo started; sleep 1000"), output, cts.Token));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"cancellation took {stopwatch.Elapsed}");
        Assert.Empty(fixture.LeftoverMounts());
        Assert.Empty(fixture.LeftoverRuntimeState());
        Assert.Empty(fixture.LeftoverCgroups());
        Assert.False(Directory.Exists(step.Temp), "the bundle directory was not removed");
    }

    [Fact]
    public async Task AlreadyCancelledTokenRunsNothing()
    {
        var step = fixture.NewStep();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            fixture.Runner.RunAsync(fixture.Request(step, "touch /x"), null, new CancellationToken(canceled: true)));

        Assert.Empty(Directory.EnumerateFileSystemEntries(step.Upper));
    }

    [Fact]
    public async Task StepsInSequenceLeaveNothingBehind()
    {
        for (var i = 0; i < 10; i++)
        {
            var run = (await fixture.RunAsync($"echo {i} > /step", request => request with { PidsLimit = 100, MemoryBytes = i % 2 == 0 ? 256L << 20 : null })).AssertSucceeded();
            Assert.Equal($"{i}\n", File.ReadAllText(Path.Combine(run.Step.Upper, "step")));
            Assert.False(Directory.Exists(run.Step.Temp));
        }

        Assert.Empty(fixture.LeftoverMounts());
        Assert.Empty(fixture.LeftoverCgroups());
        Assert.Empty(fixture.LeftoverRuntimeState());
    }

    [Fact]
    public async Task ConcurrentStepsAreIsolatedFromEachOther()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            fixture.RunAsync($"echo {i} > /mine; sleep 0.3; cat /mine; hostname", request => request with { Hostname = "host" + i })));

        for (var i = 0; i < runs.Length; i++)
            Assert.Equal([i.ToString(), "host" + i], runs[i].AssertSucceeded().StdoutLines);
        Assert.Empty(fixture.LeftoverMounts());
        Assert.Empty(fixture.LeftoverCgroups());
        Assert.Empty(fixture.LeftoverRuntimeState());
    }

    [Fact]
    public async Task FailedStepLeavesNothingBehind()
    {
        var run = await fixture.RunAsync("", request => request with { Args = ["/missing"] });

        Assert.NotEqual(0, run.Result.ExitCode);
        Assert.Empty(fixture.LeftoverMounts());
        Assert.Empty(fixture.LeftoverCgroups());
        Assert.Empty(fixture.LeftoverRuntimeState());
    }
}
