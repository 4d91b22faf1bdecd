using Csbuild.Solver.Native;
using Csbuild.Solver.Snapshots;

namespace Csbuild.Solver.Context;

/// <summary>Another stage's (or image's) filesystem as a copy source: a merged view of its layer chain.</summary>
public sealed class ChainCopySource(LayerChainView view) : ICopySource
{
    public bool PreservesOwnership => true;

    public SourceEntry? Get(string relativePath)
    {
        var host = view.Find(relativePath);
        if (host is null) return relativePath.Length == 0 ? new SourceEntry("", "", new FileStatus(FileStatus.TypeDirectory | 0b111_101_101, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0)) : null;
        return FileStatus.TryGet(host) is { } status ? new SourceEntry(relativePath, host, status) : null;
    }

    public IEnumerable<SourceEntry> List(string relativePath)
    {
        foreach (var (name, host) in view.List(relativePath))
        {
            if (FileStatus.TryGet(host) is not { } status) continue;
            yield return new SourceEntry(relativePath.Length == 0 ? name : relativePath + "/" + name, host, status);
        }
    }

    public string? ResolveSymlink(string relativePath) => view.Resolve(relativePath, followFinal: true);
}
