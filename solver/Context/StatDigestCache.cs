using System.Collections.Concurrent;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;
using Csbuild.Oci.Native;

namespace Csbuild.Solver.Context;

/// <summary>
/// The context's metadata fast path: a file whose path, size, mtime, inode and mode are unchanged since it
/// was last hashed keeps its digest, so an unchanged context is checksummed without reading any file.
/// Entries are loaded once per build and new ones saved in one transaction.
/// </summary>
public sealed class StatDigestCache(CacheDatabase database) : IFileDigestCache
{
    private readonly Lazy<ConcurrentDictionary<string, FileDigestRecord>> _known =
        new(() => new ConcurrentDictionary<string, FileDigestRecord>(database.LoadFileDigests().Select(r => KeyValuePair.Create(r.Path, r)), StringComparer.Ordinal));
    private readonly ConcurrentDictionary<string, FileDigestRecord> _fresh = new(StringComparer.Ordinal);

    public Digest GetOrCompute(string hostPath, FileStatus status)
    {
        var mtime = status.MtimeSeconds * 1_000_000_000 + status.MtimeNanoseconds;
        if (_known.Value.TryGetValue(hostPath, out var known) && known.Size == status.Size && known.MtimeNs == mtime
            && known.Inode == (long)status.Inode && known.Mode == status.Mode)
            return known.Digest;
        var digest = SelectionChecksum.FileDigest(hostPath);
        var record = new FileDigestRecord(hostPath, status.Size, mtime, (long)status.Inode, status.Mode, digest);
        _known.Value[hostPath] = record;
        _fresh[hostPath] = record;
        return digest;
    }

    /// <summary>Saves digests computed in this build.</summary>
    public void Save()
    {
        if (_fresh.IsEmpty) return;
        database.SaveFileDigests(_fresh.Values.ToList());
        _fresh.Clear();
    }
}
