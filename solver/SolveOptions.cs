namespace Csbuild.Solver;

public sealed record SolveOptions
{
    /// <summary>How many steps may run at once (<c>--jobs</c>); defaults to the number of cores.</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;

    /// <summary>The OCI runtime binary (<c>--runtime</c>); null finds runc on PATH.</summary>
    public string? RuntimePath { get; init; }

    public long? MemoryBytes { get; init; }
    public long? PidsLimit { get; init; }
    public long? CpuQuota { get; init; }

    /// <summary>The network of RUN steps that do not choose one (<c>--network</c>); Default means the host's.</summary>
    public Graph.NetworkMode Network { get; init; } = Graph.NetworkMode.Default;

    /// <summary>Build secrets by id (<c>--secret</c>), for <c>RUN --mount=type=secret</c>.</summary>
    public IReadOnlyDictionary<string, SecretSource> Secrets { get; init; } = new Dictionary<string, SecretSource>();

    /// <summary>SSH agent sockets by id (<c>--ssh default=$SSH_AUTH_SOCK</c>), for <c>RUN --mount=type=ssh</c>.</summary>
    public IReadOnlyDictionary<string, string> SshAgents { get; init; } = new Dictionary<string, string>();

    /// <summary>SOURCE_DATE_EPOCH: clamps file times in new layers and sets the image's created times.</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }

    /// <summary>The caches of <c>--cache-from</c>, consulted when the local cache misses; null when none was given.</summary>
    public Cache.Remote.ImportedCache? CacheImport { get; init; }
}
