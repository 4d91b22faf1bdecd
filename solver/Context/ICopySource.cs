using Csbuild.Oci.Native;

namespace Csbuild.Solver.Context;

/// <summary>An entry visible in a copy source: where its bytes are on the host and what it is.</summary>
public readonly record struct SourceEntry(string RelativePath, string HostPath, FileStatus Status);

/// <summary>
/// Where COPY reads from: the build context (a host directory filtered by .dockerignore) or another
/// stage's filesystem (a layer chain). Relative paths are '/'-separated and clean.
/// </summary>
public interface ICopySource
{
    /// <summary>The entry at a path, or null when absent (or hidden by .dockerignore / a whiteout).</summary>
    SourceEntry? Get(string relativePath);

    /// <summary>The visible children of a directory, sorted by name.</summary>
    IEnumerable<SourceEntry> List(string relativePath);

    /// <summary>Where a symlink inside the source points, resolved within the source; null when it leaves it.</summary>
    string? ResolveSymlink(string relativePath);

    /// <summary>Whether the copy keeps files' owners (stage sources) or makes them root's (the context).</summary>
    bool PreservesOwnership { get; }
}
