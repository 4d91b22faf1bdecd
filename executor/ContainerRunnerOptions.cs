using Csbuild.Executor.Snapshotters;

namespace Csbuild.Executor;

public sealed record ContainerRunnerOptions
{
    /// <summary>The OCI runtime: a path, or a name searched in PATH. Null means "runc".</summary>
    public string? RuntimePath { get; init; }

    /// <summary>The runtime's state directory (runc --root), on a tmpfs so that a reboot clears it.</summary>
    public string StateDirectory { get; init; } = "/run/csbuild/runc";

    /// <summary>Each step's cgroup is created under this cgroup (relative to the cgroup root).</summary>
    public string CgroupParent { get; init; } = "csbuild";

    /// <summary>
    /// Sets no_new_privs on step processes, so setuid programs (sudo, su) cannot gain privileges. Off by
    /// default because docker build allows them: `USER app` followed by `RUN sudo …` is a common pattern.
    /// </summary>
    public bool NoNewPrivileges { get; init; }

    /// <summary>
    /// Filters the step's syscalls with Docker's default seccomp profile (mount, unshare, keyctl, ptrace of other
    /// processes … fail with EPERM). On by default, as in docker build; turning it off is for privileged steps.
    /// </summary>
    public bool Seccomp { get; init; } = true;

    /// <summary>
    /// How steps get their writable root file system; null picks one (see <see cref="SnapshotterSelection"/>:
    /// CSBUILD_SNAPSHOTTER, else overlayfs where it works, else native).
    /// </summary>
    public Snapshotter? Snapshotter { get; init; }

    /// <summary>How long to wait for a killed container's runtime process before killing the runtime itself.</summary>
    public TimeSpan KillTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
