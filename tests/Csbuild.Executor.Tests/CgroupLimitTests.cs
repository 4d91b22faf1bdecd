namespace Csbuild.Executor.Tests;

/// <summary>
/// CPU and pids limits as the kernel applies them to a real runc step (read back from the step's own cgroup),
/// and the OOM counter on both cgroup layouts. This host is cgroup v1 (hybrid); the v2 path is exercised on a
/// fake cgroup tree, since a real v2 run needs a v2 host.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class CgroupLimitTests(ContainerFixture fixture)
{
    /// <summary>
    /// Prints the step's CPU quota and period from its own cgroup: cpu.cfs_quota_us/cpu.cfs_period_us on v1
    /// (the "cpu" hierarchy, possibly co-mounted as "cpu,cpuacct"), cpu.max on v2. The host's cgroup tree is
    /// bound read-only at /cg because steps do not get a cgroup mount of their own.
    /// </summary>
    private const string ReadCpuLimit = """
        line=$(grep -E '^[0-9]+:(cpu|cpu,cpuacct|cpuacct,cpu):' /proc/self/cgroup | head -1)
        if [ -n "$line" ]; then
          dir=/cg/$(echo "$line" | cut -d: -f2)$(echo "$line" | cut -d: -f3)
          echo $(cat $dir/cpu.cfs_quota_us) $(cat $dir/cpu.cfs_period_us)
        else
          cat /cg$(grep '^0::' /proc/self/cgroup | cut -d: -f3)/cpu.max
        fi
        """;

    private static ContainerRequest WithHostCgroups(ContainerRequest request) =>
        request with { Mounts = [ContainerMount.Bind("/sys/fs/cgroup", "/cg", readOnly: true)] };

    [Fact]
    public async Task CpuQuotaIsTheStepsCfsQuota()
    {
        var run = (await fixture.RunAsync(ReadCpuLimit, r => WithHostCgroups(r) with { CpuQuota = 150_000 })).AssertSucceeded();

        Assert.Equal("150000 100000", run.Stdout.Trim()); // 1.5 CPUs: v1 "quota period", v2 cpu.max is the same text
    }

    [Fact]
    public async Task WithoutCpuQuotaTheStepIsUnlimited()
    {
        var run = (await fixture.RunAsync(ReadCpuLimit, WithHostCgroups)).AssertSucceeded();

        Assert.Matches("^(-1|max) 100000$", run.Stdout.Trim());
    }

    [Fact]
    public async Task PidsLimitIsTheStepsPidsMax()
    {
        const string script = """
            line=$(grep -E '^[0-9]+:pids:' /proc/self/cgroup)
            if [ -n "$line" ]; then cat /cg/pids$(echo "$line" | cut -d: -f3)/pids.max
            else cat /cg$(grep '^0::' /proc/self/cgroup | cut -d: -f3)/pids.max; fi
            """;
        var run = (await fixture.RunAsync(script, r => WithHostCgroups(r) with { PidsLimit = 42 })).AssertSucceeded();

        Assert.Equal("42", run.Stdout.Trim());
    }

    [Fact]
    public async Task ForkingPastThePidsLimitFails()
    {
        // Each background sleep holds a pid; with 10 allowed the shell soon cannot fork, and `wait` then the
        // last command (another fork) fail; the step's exit status says so.
        var run = await fixture.RunAsync(
            "for i in $(seq 1 30); do sleep 5 & done; echo forked; ls /proc | grep -c '^[0-9]' > /dev/null",
            r => r with { PidsLimit = 10 });

        Assert.NotEqual(0, run.Result.ExitCode);
        Assert.Contains("fork", run.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(fixture.LeftoverCgroups());
    }

    [Fact]
    public async Task StepUnderItsPidsLimitRuns()
    {
        var run = (await fixture.RunAsync("for i in 1 2 3; do sleep 0.1 & done; wait; echo ok", r => r with { PidsLimit = 10 })).AssertSucceeded();

        Assert.Equal("ok", run.Stdout);
    }

    [Fact]
    public void OomCounterIsReadFromCgroupV1AndV2Layouts()
    {
        using var temp = new TempDirectory();
        var v1 = Path.Combine(temp.Path, "v1");
        Directory.CreateDirectory(Path.Combine(v1, "memory/csbuild/step"));
        File.WriteAllText(Path.Combine(v1, "memory/csbuild/step/memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
        var v2 = Path.Combine(temp.Path, "v2");
        Directory.CreateDirectory(Path.Combine(v2, "csbuild/step"));
        File.WriteAllText(Path.Combine(v2, "cgroup.controllers"), "cpu memory pids\n");
        File.WriteAllText(Path.Combine(v2, "csbuild/step/memory.events"), "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n");

        Assert.Equal(1, CgroupMemory.OomKillCount("/csbuild/step", v1));
        Assert.Equal(2, CgroupMemory.OomKillCount("/csbuild/step", v2));
        Assert.Equal(0, CgroupMemory.OomKillCount("/csbuild/gone", v2)); // a cgroup already removed is no OOM
    }
}
