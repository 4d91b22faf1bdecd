using Csbuild.Oci.Native;
using Csbuild.Solver.Snapshots;

namespace Csbuild.Solver.Context;

/// <summary>Another stage's (or image's) filesystem as a copy source: a merged view of its layer chain.</summary>
public sealed class ChainCopySource(LayerChainView view) : ICopySource
{
    // The root of an empty filesystem (FROM scratch): a 0755 directory owned by root.
    private static readonly FileStatus EmptyRoot = new(Libc.S_IFDIR | 0b111_101_101, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);

    public bool PreservesOwnership => true;

    public SourceEntry? Get(string relativePath)
    {
        var host = view.Find(relativePath);
        if (host is null) return relativePath.Length == 0 ? new SourceEntry("", "", EmptyRoot) : null;
        return Libc.TryStatNoFollow(host) is { } status ? new SourceEntry(relativePath, host, status) : null;
    }

    public IEnumerable<SourceEntry> List(string relativePath)
    {
        foreach (var (name, host) in view.List(relativePath))
        {
            if (Libc.TryStatNoFollow(host) is not { } status) continue;
            yield return new SourceEntry(relativePath.Length == 0 ? name : relativePath + "/" + name, host, status);
        }
    }

    public string? ResolveSymlink(string relativePath) => view.Resolve(relativePath, followFinal: true);
}
