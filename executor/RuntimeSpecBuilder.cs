using Csbuild.Executor.Seccomp;
using Csbuild.Executor.Spec;

namespace Csbuild.Executor;

/// <summary>
/// Builds the OCI runtime spec (config.json) for a RUN step, with the isolation Docker/BuildKit give one:
/// its own mount, pid, ipc and uts namespaces (and network unless host networking), Docker's default
/// capabilities, masked /proc and /sys paths, cgroup limits, and generated /etc files mounted read-only.
/// </summary>
public static class RuntimeSpecBuilder
{
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>CFS period used with <see cref="ContainerRequest.CpuQuota"/> (Docker's default, 100 ms).</summary>
    public const ulong CpuPeriodMicroseconds = 100_000;

    /// <summary>Docker's default capability set (moby oci/caps/defaults.go).</summary>
    public static readonly IReadOnlyList<string> DefaultCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    /// <summary>Kernel interfaces hidden from the step (moby oci/defaults.go).</summary>
    public static readonly IReadOnlyList<string> MaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    public static readonly IReadOnlyList<string> ReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>Where the runtime mounts something; a path here that the image lacks is created by the runtime.</summary>
    internal static readonly IReadOnlyList<string> MountDestinations =
        ["/proc", "/dev", "/sys", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"];

    /// <param name="rootfs">The bundle's root filesystem path (relative to the bundle, or absolute).</param>
    /// <param name="cgroupsPath">A cgroup path unique to this step, e.g. "/csbuild/step-id".</param>
    /// <param name="noNewPrivileges">See <see cref="ContainerRunnerOptions.NoNewPrivileges"/>.</param>
    /// <param name="seccomp">Whether to filter syscalls with Docker's default seccomp profile (see <see cref="ContainerRunnerOptions.Seccomp"/>).</param>
    public static RuntimeSpec Build(ContainerRequest request, ResolvedUser user, string rootfs, string cgroupsPath, EtcFiles etc,
        bool noNewPrivileges = false, bool seccomp = true)
    {
        var namespaces = new List<SpecNamespace>
        {
            new() { Type = "pid" }, new() { Type = "ipc" }, new() { Type = "uts" }, new() { Type = "mount" },
        };
        // A new network namespace with nothing configured: runc brings up its loopback interface only.
        if (request.Network == ContainerNetwork.None) namespaces.Add(new() { Type = "network" });

        var capabilities = DefaultCapabilities.ToList();
        return new RuntimeSpec
        {
            Process = new SpecProcess
            {
                Terminal = false,
                User = new SpecUser
                {
                    Uid = user.Uid,
                    Gid = user.Gid,
                    AdditionalGids = user.AdditionalGids.Count > 0 ? [.. user.AdditionalGids] : null,
                },
                Args = [.. request.Args],
                Env = BuildEnv(request, user),
                Cwd = request.WorkingDir,
                // Effective/permitted only matter for root: the kernel clears them when a non-root user execs.
                Capabilities = new SpecCapabilities { Bounding = capabilities, Effective = capabilities, Permitted = capabilities },
                Rlimits = [new SpecRlimit { Type = "RLIMIT_NOFILE", Hard = HostLimits.MaxOpenFiles, Soft = HostLimits.MaxOpenFiles }],
                NoNewPrivileges = noNewPrivileges,
            },
            Root = new SpecRoot { Path = rootfs, Readonly = false },
            Hostname = request.Hostname,
            Mounts =
            [
                new() { Destination = "/proc", Type = "proc", Source = "proc", Options = ["nosuid", "noexec", "nodev"] },
                new() { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
                new() { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
                new() { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
                new() { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
                new() { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", "ro"] },
                ReadOnlyBind("/etc/hosts", etc.HostsPath),
                ReadOnlyBind("/etc/resolv.conf", etc.ResolvConfPath),
                ReadOnlyBind("/etc/hostname", etc.HostnamePath),
                .. request.Mounts.Select(ToSpecMount),
            ],
            Linux = new SpecLinux
            {
                Namespaces = namespaces,
                CgroupsPath = cgroupsPath,
                Resources = BuildResources(request),
                MaskedPaths = [.. MaskedPaths],
                ReadonlyPaths = [.. ReadonlyPaths],
                Seccomp = seccomp ? SeccompProfileBuilder.Build(capabilities) : null,
            },
        };
    }

    private static SpecMount ToSpecMount(ContainerMount mount) => new()
    {
        Destination = mount.Destination,
        Type = mount.Type,
        Source = mount.Source,
        // rprivate: nothing the step mounts under a bind propagates back to the host.
        Options = mount.IsBind ? ["rbind", "rprivate", .. mount.Options] : [.. mount.Options],
    };

    private static SpecMount ReadOnlyBind(string destination, string source) =>
        new() { Destination = destination, Type = "bind", Source = source, Options = ["rbind", "rprivate", "ro"] };

    private static List<string> BuildEnv(ContainerRequest request, ResolvedUser user)
    {
        var env = new List<string>(request.Env.Count + 3);
        if (!HasVariable(request.Env, "PATH")) env.Add(DefaultPath);
        if (!HasVariable(request.Env, "HOSTNAME")) env.Add("HOSTNAME=" + request.Hostname);
        env.AddRange(request.Env);
        if (!HasVariable(request.Env, "HOME")) env.Add("HOME=" + user.Home);
        return env;
    }

    private static bool HasVariable(IReadOnlyList<string> env, string name)
    {
        foreach (var entry in env)
            if (entry.Length > name.Length && entry[name.Length] == '=' && entry.StartsWith(name, StringComparison.Ordinal))
                return true;
        return false;
    }

    private static SpecResources BuildResources(ContainerRequest request)
    {
        return new SpecResources
        {
            // Deny every device, then runc appends its default allow-list (null, zero, full, tty, random, urandom, ptmx, pts).
            Devices = [new SpecDeviceRule { Allow = false, Access = "rwm" }],
            // Swap equal to the limit means no swap at all: the step is OOM-killed at the limit instead of swapping.
            Memory = request.MemoryBytes is { } memory ? new SpecMemory { Limit = memory, Swap = memory } : null,
            Cpu = request.CpuQuota is { } quota ? new SpecCpu { Quota = quota, Period = CpuPeriodMicroseconds } : null,
            Pids = request.PidsLimit is { } pids ? new SpecPids { Limit = pids } : null,
        };
    }
}
