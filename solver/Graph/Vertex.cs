namespace Csbuild.Solver.Graph;

/// <summary>
/// One node of the build graph: an operation whose result is a filesystem (a chain of layers).
/// The graph is the only contract between a frontend and the solver.
/// </summary>
public sealed class Vertex
{
    private static int _nextId;

    public Vertex(Op op, string name, IReadOnlyList<Vertex>? inputs = null)
    {
        Op = op;
        Name = name;
        Inputs = inputs ?? [];
        Id = Interlocked.Increment(ref _nextId);
    }

    /// <summary>Process-unique id, for progress and logs; never part of a cache key.</summary>
    public int Id { get; }

    public Op Op { get; }

    /// <summary>Display name, e.g. <c>[build 2/4] RUN make</c>.</summary>
    public string Name { get; }

    /// <summary>Vertices whose results this op reads. Index 0 is the base filesystem where the op has one.</summary>
    public IReadOnlyList<Vertex> Inputs { get; }

    /// <summary>When true the cache is ignored for this vertex (<c>--no-cache</c>, <c>--no-cache-filter</c>).</summary>
    public bool IgnoreCache { get; init; }

    public override string ToString() => $"#{Id} {Name}";
}
