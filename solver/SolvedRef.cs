using Csbuild.Solver.Graph;

namespace Csbuild.Solver;

/// <summary>The result of a vertex: a layer chain (by its top chain id; null = empty filesystem) or a local directory.</summary>
public abstract record SolvedRef;

public sealed record ChainRef(string? TopChainId) : SolvedRef;

public sealed record LocalRef(LocalSource Source) : SolvedRef;
