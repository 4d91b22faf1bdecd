using System.Runtime.InteropServices;
using System.Text.Json;
using Csbuild.Executor.Seccomp;
using Csbuild.Executor.Spec;

namespace Csbuild.Executor.Tests;

/// <summary>Docker's default seccomp profile: in every step's config.json, and enforced by the runtime.</summary>
[Collection(ContainerCollection.Name)]
public sealed class SeccompTests(ContainerFixture fixture)
{
    private static readonly EtcFiles Etc = new("/tmp/step/hosts", "/tmp/step/resolv.conf", "/tmp/step/hostname");

    private static RuntimeSpec Spec(bool seccomp = true) => RuntimeSpecBuilder.Build(new ContainerRequest
    {
        UpperDir = "/u", OverlayWorkDir = "/w", TempDirectory = "/t", Args = ["true"],
    }, new ResolvedUser(0, 0, [], "/root"), "rootfs", "/c", Etc, seccomp: seccomp);

    private static HashSet<string> Allowed(SpecSeccomp profile) =>
        profile.Syscalls.Where(s => s.Action == "SCMP_ACT_ALLOW" && s.Args is null).SelectMany(s => s.Names).ToHashSet();

    [Fact]
    public void SpecCarriesTheDefaultProfile()
    {
        var profile = Spec().Linux.Seccomp!;

        Assert.Equal("SCMP_ACT_ERRNO", profile.DefaultAction);
        Assert.Equal(1u, profile.DefaultErrnoRet); // EPERM
        var allowed = Allowed(profile);
        Assert.Contains("execve", allowed);
        Assert.Contains("chroot", allowed); // the step holds CAP_SYS_CHROOT
        foreach (var blocked in new[] { "mount", "umount2", "unshare", "setns", "keyctl", "add_key", "bpf", "reboot", "init_module", "kexec_load" })
            Assert.DoesNotContain(blocked, profile.Syscalls.SelectMany(s => s.Names));
        // clone only without namespace flags; clone3 answers ENOSYS so libc falls back to clone.
        var clone = Assert.Single(profile.Syscalls, s => s.Names.SequenceEqual(["clone"]));
        Assert.Equal(new SpecSeccompArg(0, 2114060288, "SCMP_CMP_MASKED_EQ"), Assert.Single(clone.Args!));
        var clone3 = Assert.Single(profile.Syscalls, s => s.Names.Contains("clone3"));
        Assert.Equal(("SCMP_ACT_ERRNO", 38u), (clone3.Action, clone3.ErrnoRet!.Value));
        if (RuntimeInformation.OSArchitecture == Architecture.X64)
            Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], profile.Architectures);
    }

    [Fact]
    public void ProfileFollowsArchitectureAndKernel()
    {
        var arm = SeccompProfileBuilder.Build(RuntimeSpecBuilder.DefaultCapabilities, Architecture.Arm64, new Version(6, 1));
        Assert.Equal(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], arm.Architectures);
        Assert.Contains("set_tls", Allowed(arm));
        Assert.DoesNotContain("arch_prctl", Allowed(arm));

        var x64 = SeccompProfileBuilder.Build(RuntimeSpecBuilder.DefaultCapabilities, Architecture.X64, new Version(6, 1));
        Assert.Contains("arch_prctl", Allowed(x64));
        Assert.Contains("ptrace", Allowed(x64));  // kernels from 4.8 on keep ptrace inside the seccomp filter
        var old = SeccompProfileBuilder.Build(RuntimeSpecBuilder.DefaultCapabilities, Architecture.X64, new Version(4, 4));
        Assert.DoesNotContain("ptrace", Allowed(old));

        var admin = SeccompProfileBuilder.Build([.. RuntimeSpecBuilder.DefaultCapabilities, "CAP_SYS_ADMIN"], Architecture.X64, new Version(6, 1));
        Assert.Contains("mount", Allowed(admin));
        Assert.DoesNotContain(admin.Syscalls, s => s.Names.Contains("clone3") && s.Action == "SCMP_ACT_ERRNO");

        Assert.Throws<ExecutorException>(() => SeccompProfileBuilder.Build([], Architecture.Wasm, new Version(6, 1)));
    }

    [Fact]
    public void ProfileSerializesInRuntimeSpecFieldNames()
    {
        using var json = JsonDocument.Parse(RuntimeSpecJson.Serialize(Spec()));
        var seccomp = json.RootElement.GetProperty("linux").GetProperty("seccomp");
        Assert.Equal(1, seccomp.GetProperty("defaultErrnoRet").GetInt32());
        Assert.Equal("SCMP_ACT_ERRNO", seccomp.GetProperty("defaultAction").GetString());
        var socket = seccomp.GetProperty("syscalls").EnumerateArray().First(s => s.GetProperty("names")[0].GetString() == "socket");
        Assert.Equal("SCMP_CMP_NE", socket.GetProperty("args")[0].GetProperty("op").GetString());
        Assert.Equal(40, socket.GetProperty("args")[0].GetProperty("value").GetInt32());
        Assert.Null(Spec(seccomp: false).Linux.Seccomp);
    }

    [Fact]
    public async Task BlockedSyscallFailsWithEpermInTheStep()
    {
        // Creating a user namespace needs no capability, so only the seccomp filter can refuse it.
        var run = await fixture.RunAsync("unshare -U true; echo exit=$?");

        Assert.Contains("exit=1", run.StdoutLines);
        Assert.Contains("Operation not permitted", run.Stderr);
    }

    [Fact]
    public async Task WithoutTheProfileTheSameSyscallWorks()
    {
        var runner = new ContainerRunner(new ContainerRunnerOptions
        {
            StateDirectory = fixture.StateDirectory, CgroupParent = fixture.CgroupParent, Seccomp = false,
        });
        var step = fixture.NewStep();
        var output = new CollectingProgress();

        var result = await runner.RunAsync(fixture.Request(step, "unshare -U true; echo exit=$?"), output, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("exit=0", output.Lines.Select(l => l.Text));
    }

    [Fact]
    public async Task OrdinaryStepsRunUnderTheProfile()
    {
        var run = (await fixture.RunAsync(
            "mkdir -p /x && echo a > /x/f && ln -s f /x/l && chmod 700 /x && chown 1000 /x/f && chroot / true && " +
            "(sleep 0 &) && wait && ls -l /x | wc -l")).AssertSucceeded();

        Assert.Equal("3", run.StdoutLines.Last().Trim());
    }
}
