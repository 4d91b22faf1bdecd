namespace Csbuild.Executor;

/// <summary>Everything needed to run one RUN step in a container.</summary>
public sealed record ContainerRequest
{
    /// <summary>Read-only snapshot directories, top-most first (as overlayfs lowerdir orders them). May be empty.</summary>
    public IReadOnlyList<string> LowerDirs { get; init; } = [];

    /// <summary>The empty directory that receives the step's changes, in overlay upper-dir format.</summary>
    public required string UpperDir { get; init; }

    /// <summary>overlayfs' work directory: empty, on the same filesystem as <see cref="UpperDir"/>.</summary>
    public required string OverlayWorkDir { get; init; }

    /// <summary>
    /// A directory private to this step for the bundle (config.json, the rootfs mount point, generated /etc files).
    /// It is created if missing and removed afterwards.
    /// </summary>
    public required string TempDirectory { get; init; }

    public required IReadOnlyList<string> Args { get; init; }

    /// <summary>KEY=value entries. PATH, HOSTNAME and HOME are added when absent.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>As in the USER instruction: "", "name", "uid", "name:group", "uid:gid".</summary>
    public string User { get; init; } = "";

    /// <summary>Absolute path in the container; created (owned by the user) when missing.</summary>
    public string WorkingDir { get; init; } = "/";

    public ContainerNetwork Network { get; init; } = ContainerNetwork.None;

    public string Hostname { get; init; } = "buildkitsandbox";

    /// <summary>Memory limit in bytes (swap is not allowed beyond it); null for no limit.</summary>
    public long? MemoryBytes { get; init; }

    /// <summary>Maximum number of processes/threads; null for no limit.</summary>
    public long? PidsLimit { get; init; }

    /// <summary>Extra mounts (RUN --mount), applied after the runtime's own (/proc, /dev, /etc/hosts, …), in order.</summary>
    public IReadOnlyList<ContainerMount> Mounts { get; init; } = [];

    /// <summary>CPU time in microseconds per 100 ms period (Docker's --cpu-quota); 150000 = 1.5 CPUs. Null for no limit.</summary>
    public long? CpuQuota { get; init; }
}
