using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>--pids-limit and --cpus/--cpu-quota on `csbuild build` reach every RUN step's cgroup.</summary>
[Collection("busybox")]
public sealed class StepLimitTests(BusyboxStoreFixture busybox)
{
    private static ProcessResult Build(string root, TempDirectory dir, string dockerfile, params string[] flags)
    {
        dir.Write("ctx/Dockerfile", dockerfile);
        return CsbuildProgram.Run(root, ["build", "--progress=plain", .. flags, dir.Combine("ctx")]);
    }

    [Fact]
    public void StepForkingPastThePidsLimit_Fails()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        const string dockerfile = "FROM busybox:latest\nRUN for i in $(seq 1 40); do sleep 5 & done; echo forked\n";

        var limited = Build(root, dir, dockerfile, "--pids-limit", "12");

        Assert.Equal(1, limited.ExitCode);
        Assert.Contains("fork", limited.Stderr, StringComparison.OrdinalIgnoreCase);

        // The same step passes with room for its processes.
        var roomy = Build(root, dir, dockerfile, "--pids-limit", "100");
        Assert.True(roomy.ExitCode == 0, roomy.ToString());
    }

    [Fact]
    public void CpuLimitsAreAcceptedAndValidated()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);

        var cpus = Build(root, dir, "FROM busybox:latest\nRUN echo cpus\n", "--cpus", "0.5");
        Assert.True(cpus.ExitCode == 0, cpus.ToString());
        var quota = Build(root, dir, "FROM busybox:latest\nRUN echo quota\n", "--cpu-quota", "50000");
        Assert.True(quota.ExitCode == 0, quota.ToString());

        var both = Build(root, dir, "FROM busybox:latest\nRUN true\n", "--cpus", "1", "--cpu-quota", "50000");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("cannot be used together", both.Stderr);
    }
}
