namespace Csbuild.Executor.Tests;

[Collection(ContainerCollection.Name)]
public sealed class ContainerRunnerTests(ContainerFixture fixture)
{
    [Fact]
    public async Task EchoOutputIsReportedPerStream()
    {
        var run = (await fixture.RunAsync("echo hi; echo oops >&2; printf 'no newline'")).AssertSucceeded();

        Assert.Equal(["hi", "no newline"], run.StdoutLines);
        Assert.Equal("oops", run.Stderr);
        Assert.True(run.Result.Succeeded);
        Assert.True(run.Result.Duration > TimeSpan.Zero);
    }

    [Fact]
    public async Task OutputIsStreamedWhileTheStepRuns()
    {
        var run = (await fixture.RunAsync("echo first; sleep 1; echo second")).AssertSucceeded();

        var first = run.Lines.Single(l => l.Text == "first");
        var second = run.Lines.Single(l => l.Text == "second");
        Assert.True(second.Timestamp - first.Timestamp >= TimeSpan.FromMilliseconds(800),
            $"lines were not reported as they were printed: {first.Timestamp:O} / {second.Timestamp:O}");
    }

    [Theory]
    [InlineData("exit 0", 0)]
    [InlineData("exit 3", 3)]
    [InlineData("false", 1)]
    [InlineData("sh -c 'kill -9 $$'; exit $?", 137)]
    public async Task ExitCodeIsTheStepsExitStatus(string script, int expected)
    {
        var run = await fixture.RunAsync(script);

        Assert.Equal(expected, run.Result.ExitCode);
        Assert.Equal(expected == 0, run.Result.Succeeded);
        Assert.False(run.Result.OomKilled);
    }

    [Fact]
    public async Task MissingExecutableFailsWith127AndTheRuntimesExplanation()
    {
        var run = await fixture.RunAsync("", request => request with { Args = ["/no/such/program", "arg"] });

        Assert.Equal(127, run.Result.ExitCode);
        Assert.Contains("/no/such/program", run.Result.Message);
    }

    [Fact]
    public async Task EnvironmentGetsDefaultsAndKeepsGivenVariables()
    {
        var run = (await fixture.RunAsync("echo \"$FOO|$PATH|$HOSTNAME|$HOME\"; hostname",
            request => request with { Env = ["FOO=bar baz"], Hostname = "stephost" })).AssertSucceeded();

        Assert.Equal([$"bar baz|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|stephost|/root", "stephost"], run.StdoutLines);
    }

    [Fact]
    public async Task GivenPathAndHomeAreNotOverridden()
    {
        var run = (await fixture.RunAsync("echo \"$PATH|$HOME\"",
            request => request with { Env = ["PATH=/bin", "HOME=/custom"] })).AssertSucceeded();

        Assert.Equal("/bin|/custom", run.Stdout);
    }

    [Fact]
    public async Task WorkingDirectoryIsCreatedWhenMissing()
    {
        var run = (await fixture.RunAsync("pwd; stat -c '%u:%g %a' .",
            request => request with { WorkingDir = "/work/deep/dir" })).AssertSucceeded();

        Assert.Equal(["/work/deep/dir", "0:0 755"], run.StdoutLines);
        Assert.True(Directory.Exists(Path.Combine(run.Step.Upper, "work/deep/dir")));
    }

    [Fact]
    public async Task GeneratedEtcFilesAreVisibleAndReadOnly()
    {
        var run = (await fixture.RunAsync(
            "cat /etc/hostname; grep -c 'localhost myhost' /etc/hosts; echo x >> /etc/hosts && echo writable || echo readonly",
            request => request with { Hostname = "myhost" })).AssertSucceeded();

        Assert.Equal(["myhost", "1", "readonly"], run.StdoutLines);
    }

    [Fact]
    public async Task StepIsPidOneOfItsOwnPidNamespace()
    {
        var run = (await fixture.RunAsync("echo $$; ls -d /proc/[0-9]* | wc -l")).AssertSucceeded();

        var lines = run.StdoutLines.ToList();
        Assert.Equal("1", lines[0]);
        // sh, ls and wc (and maybe a subshell): nothing of the host's processes.
        Assert.InRange(int.Parse(lines[1].Trim()), 1, 5);
    }

    [Fact]
    public async Task NetworkNoneHasOnlyLoopbackAndItIsUp()
    {
        var run = (await fixture.RunAsync("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; cat /sys/class/net/lo/flags",
            request => request with { Network = ContainerNetwork.None })).AssertSucceeded();

        var lines = run.StdoutLines.ToList();
        Assert.Equal(["lo"], lines[..^1]);
        Assert.True((Convert.ToInt32(lines[^1], 16) & 1) == 1, "lo is not up: flags " + lines[^1]); // IFF_UP
    }

    [Fact]
    public async Task NetworkHostSeesTheHostsInterfaces()
    {
        var hostInterfaces = File.ReadLines("/proc/net/dev").Skip(2).Select(l => l.Split(':')[0].Trim()).Order().ToList();

        var run = (await fixture.RunAsync("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
            request => request with { Network = ContainerNetwork.Host })).AssertSucceeded();

        Assert.Equal(hostInterfaces, run.StdoutLines.Order().ToList());
    }

    [Fact]
    public async Task OnlyStandardDescriptorsReachTheStep()
    {
        // ls itself holds one descriptor (3) for the directory it reads.
        var run = (await fixture.RunAsync("ls /proc/self/fd")).AssertSucceeded();

        Assert.Subset(new HashSet<string> { "0", "1", "2", "3" }, run.StdoutLines.ToHashSet());
    }

    [Fact]
    public async Task StepHasDockersDefaultCapabilitiesAsRootAndNoneAsAnotherUser()
    {
        var root = (await fixture.RunAsync("grep CapEff /proc/self/status")).AssertSucceeded();
        var app = (await fixture.RunAsync("grep CapEff /proc/self/status", request => request with { User = "app" })).AssertSucceeded();

        // Docker's 14 default capabilities: chown, dac_override, fowner, fsetid, kill, setgid, setuid, setpcap,
        // net_bind_service, net_raw, sys_chroot, mknod, audit_write, setfcap.
        Assert.Equal("CapEff:\t00000000a80425fb", root.Stdout);
        Assert.Equal("CapEff:\t0000000000000000", app.Stdout);
    }

    [Fact]
    public async Task NoNewPrivilegesIsOffByDefaultAndCanBeTurnedOn()
    {
        var strict = new ContainerRunner(new ContainerRunnerOptions
        {
            StateDirectory = fixture.StateDirectory, CgroupParent = fixture.CgroupParent, NoNewPrivileges = true,
        });
        var step = fixture.NewStep();
        var output = new CollectingProgress();

        var byDefault = (await fixture.RunAsync("grep NoNewPrivs /proc/self/status")).AssertSucceeded();
        var result = await strict.RunAsync(fixture.Request(step, "grep NoNewPrivs /proc/self/status"), output, CancellationToken.None);

        Assert.Equal("NoNewPrivs:\t0", byDefault.Stdout);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("NoNewPrivs:\t1", Assert.Single(output.Lines).Text);
    }

    [Fact]
    public async Task ProcessLimitIsEnforced()
    {
        var run = await fixture.RunAsync("for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 1 & done; wait",
            request => request with { PidsLimit = 5 });

        Assert.Contains("fork", run.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ExplicitRuntimeThatDoesNotExistIsAClearError()
    {
        var runner = new ContainerRunner(new ContainerRunnerOptions { RuntimePath = "/nonexistent/runc" });
        var step = fixture.NewStep();

        var error = await Assert.ThrowsAsync<ExecutorException>(() => runner.RunAsync(fixture.Request(step, "true"), null, CancellationToken.None));

        Assert.Contains("/nonexistent/runc", error.Message);
    }

    [Fact]
    public async Task RuntimeNameNotInPathIsAClearError()
    {
        var runner = new ContainerRunner(new ContainerRunnerOptions { RuntimePath = "no-such-oci-runtime" });
        var step = fixture.NewStep();

        var error = await Assert.ThrowsAsync<ExecutorException>(() => runner.RunAsync(fixture.Request(step, "true"), null, CancellationToken.None));

        Assert.Equal("OCI runtime 'no-such-oci-runtime' not found in PATH", error.Message);
    }
}
