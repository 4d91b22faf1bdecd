using System.Text;
using System.Text.Json;
using Csbuild.Executor.Spec;

namespace Csbuild.Executor.Tests;

public sealed class RuntimeSpecBuilderTests
{
    private static readonly EtcFiles Etc = new("/tmp/step/hosts", "/tmp/step/resolv.conf", "/tmp/step/hostname");
    private static readonly ResolvedUser App = new(1000, 1000, [50], "/home/app");

    private static ContainerRequest Request(Func<ContainerRequest, ContainerRequest>? configure = null)
    {
        var request = new ContainerRequest
        {
            UpperDir = "/u", OverlayWorkDir = "/w", TempDirectory = "/t",
            Args = ["/bin/sh", "-c", "make"], Env = ["CC=gcc"], WorkingDir = "/src", Hostname = "box",
        };
        return configure is null ? request : configure(request);
    }

    [Fact]
    public void ProcessHasArgsCwdUserAndDefaultedEnvironment()
    {
        var spec = RuntimeSpecBuilder.Build(Request(), App, "rootfs", "/csbuild/x", Etc);

        Assert.Equal(["/bin/sh", "-c", "make"], spec.Process.Args);
        Assert.Equal("/src", spec.Process.Cwd);
        Assert.Equal([RuntimeSpecBuilder.DefaultPath, "HOSTNAME=box", "CC=gcc", "HOME=/home/app"], spec.Process.Env);
        Assert.Equal(1000u, spec.Process.User.Uid);
        Assert.Equal([50u], spec.Process.User.AdditionalGids!);
        Assert.False(spec.Process.Terminal);
        Assert.False(spec.Process.NoNewPrivileges); // docker build lets `RUN sudo …` work
        Assert.Equal("box", spec.Hostname);
        Assert.Equal("rootfs", spec.Root.Path);
    }

    [Fact]
    public void NetworkNoneGetsItsOwnNamespaceAndHostDoesNot()
    {
        static List<string> Namespaces(ContainerNetwork network) =>
            RuntimeSpecBuilder.Build(Request(r => r with { Network = network }), App, "rootfs", "/c", Etc)
                .Linux.Namespaces.Select(n => n.Type).Order().ToList();

        Assert.Equal(["ipc", "mount", "network", "pid", "uts"], Namespaces(ContainerNetwork.None));
        Assert.Equal(["ipc", "mount", "pid", "uts"], Namespaces(ContainerNetwork.Host));
    }

    [Fact]
    public void LimitsBecomeCgroupResources()
    {
        var spec = RuntimeSpecBuilder.Build(Request(r => r with { MemoryBytes = 1 << 30, PidsLimit = 200, CpuQuota = 150_000 }),
            App, "rootfs", "/csbuild/step", Etc);

        Assert.Equal("/csbuild/step", spec.Linux.CgroupsPath);
        Assert.Equal(1L << 30, spec.Linux.Resources!.Memory!.Limit);
        Assert.Equal(1L << 30, spec.Linux.Resources.Memory.Swap);
        Assert.Equal(200, spec.Linux.Resources.Pids!.Limit);
        Assert.Equal(150_000, spec.Linux.Resources.Cpu!.Quota);
        Assert.Equal(100_000ul, spec.Linux.Resources.Cpu.Period);
    }

    [Fact]
    public void NoLimitsMeansNoResourceSectionsButDevicesAreStillDenied()
    {
        var resources = RuntimeSpecBuilder.Build(Request(), App, "rootfs", "/c", Etc).Linux.Resources!;

        Assert.Null(resources.Memory);
        Assert.Null(resources.Pids);
        Assert.Null(resources.Cpu);
        var rule = Assert.Single(resources.Devices!);
        Assert.False(rule.Allow);
        Assert.Equal("rwm", rule.Access);
    }

    [Fact]
    public void EtcFilesAreReadOnlyBindMountsAndKernelFilesystemsAreMounted()
    {
        var mounts = RuntimeSpecBuilder.Build(Request(), App, "rootfs", "/c", Etc).Mounts;

        var hosts = mounts.Single(m => m.Destination == "/etc/hosts");
        Assert.Equal(("bind", "/tmp/step/hosts"), (hosts.Type, hosts.Source));
        Assert.Contains("ro", hosts.Options!);
        Assert.Contains(mounts, m => m.Destination == "/etc/resolv.conf" && m.Source == Etc.ResolvConfPath);
        Assert.Contains(mounts, m => m.Destination == "/sys" && m.Options!.Contains("ro"));
        Assert.Equal(["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"],
            mounts.Where(m => m.Type != "bind").Select(m => m.Destination));
    }

    [Fact]
    public void SerializedConfigUsesTheSpecsFieldNames()
    {
        var json = RuntimeSpecJson.Serialize(RuntimeSpecBuilder.Build(Request(r => r with { MemoryBytes = 5 }), App, "rootfs", "/c", Etc));
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;

        Assert.Equal("1.0.2", root.GetProperty("ociVersion").GetString());
        Assert.Equal(1000, root.GetProperty("process").GetProperty("user").GetProperty("uid").GetInt32());
        Assert.Equal(50, root.GetProperty("process").GetProperty("user").GetProperty("additionalGids")[0].GetInt32());
        Assert.False(root.GetProperty("process").GetProperty("noNewPrivileges").GetBoolean());
        Assert.Equal("RLIMIT_NOFILE", root.GetProperty("process").GetProperty("rlimits")[0].GetProperty("type").GetString());
        Assert.Equal(14, root.GetProperty("process").GetProperty("capabilities").GetProperty("bounding").GetArrayLength());
        Assert.Equal("/c", root.GetProperty("linux").GetProperty("cgroupsPath").GetString());
        Assert.Equal(5, root.GetProperty("linux").GetProperty("resources").GetProperty("memory").GetProperty("limit").GetInt64());
        Assert.Contains("/proc/kcore", root.GetProperty("linux").GetProperty("maskedPaths").EnumerateArray().Select(e => e.GetString()));
        Assert.DoesNotContain("null", Encoding.UTF8.GetString(json));
    }

    [Fact]
    public void NoNewPrivilegesCanBeRequested()
    {
        Assert.True(RuntimeSpecBuilder.Build(Request(), App, "rootfs", "/c", Etc, noNewPrivileges: true).Process.NoNewPrivileges);
    }

    [Fact]
    public void ConfigRoundTrips()
    {
        var spec = RuntimeSpecBuilder.Build(Request(), App, "rootfs", "/c", Etc);

        var again = RuntimeSpecJson.Deserialize(RuntimeSpecJson.Serialize(spec));

        Assert.Equal(RuntimeSpecJson.Serialize(spec), RuntimeSpecJson.Serialize(again));
    }
}
