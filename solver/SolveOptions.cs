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

    /// <summary>SOURCE_DATE_EPOCH: clamps file times in new layers and sets the image's created times.</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }
}
