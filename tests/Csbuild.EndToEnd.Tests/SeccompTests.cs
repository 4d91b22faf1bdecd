using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>RUN steps are filtered by Docker's default seccomp profile: blocked syscalls fail with EPERM, the rest work.</summary>
[Collection("busybox")]
public sealed class SeccompTests(BusyboxStoreFixture busybox)
{
    private static ProcessResult Build(string root, TempDirectory dir, string dockerfile, params string[] flags)
    {
        dir.Write("ctx/Dockerfile", dockerfile);
        return CsbuildProgram.Run(root, ["build", "--progress=plain", .. flags, dir.Combine("ctx")]);
    }

    [Fact]
    public void StepCallingABlockedSyscall_FailsWithEperm()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);

        // unshare(CLONE_NEWUSER) needs no capability: only the seccomp filter refuses it.
        var build = Build(root, dir, "FROM busybox:latest\nRUN unshare -U true\n");

        Assert.Equal(1, build.ExitCode);
        Assert.Contains("Operation not permitted", build.Stderr);
        Assert.Contains("did not complete successfully", build.Stderr);
    }

    [Fact]
    public void OrdinaryStepsBuildUnderTheProfile()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);

        var build = Build(root, dir, """
            FROM busybox:latest
            RUN mkdir -p /opt/app && echo hi > /opt/app/f && chown -R 1000:1000 /opt/app && chmod 0750 /opt/app \
                && ln -s f /opt/app/l && (sleep 0 & wait) && chroot / true && mknod /opt/app/null c 1 3
            """, "-t", "seccomp:ok");

        Assert.True(build.ExitCode == 0, build.ToString());
    }
}
