using Csbuild.Oci.Model;

namespace Csbuild.Solver.Graph;

/// <summary>
/// What a frontend hands the solver: the vertex whose filesystem is the result, the image config to
/// write for it (the base image's config with the Dockerfile's changes already applied), and one history
/// entry per instruction after the base image.
/// </summary>
public sealed class BuildGraph
{
    public required Vertex Output { get; init; }

    public required ImageConfig Config { get; init; }

    /// <summary>
    /// History entries of the instructions of the final stage, in order. <see cref="StepHistory.Vertex"/>
    /// is set for instructions that produce a layer; the exporter marks an entry empty_layer when its vertex
    /// added no change.
    /// </summary>
    public required IReadOnlyList<StepHistory> History { get; init; }

    /// <summary>Local directories by name (<c>context</c> and named build contexts).</summary>
    public required IReadOnlyDictionary<string, LocalSource> Locals { get; init; }
}

public sealed record StepHistory(string CreatedBy, Vertex? Vertex, string? Comment = null);

/// <summary>A local directory and the .dockerignore patterns that hide files in it.</summary>
public sealed record LocalSource(string Directory, IReadOnlyList<string> ExcludePatterns);
