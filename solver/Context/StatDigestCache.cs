using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;
using Csbuild.Oci.Native;

namespace Csbuild.Solver.Context;

/// <summary>
/// The context's metadata fast path: a file whose path, size, mtime, inode and mode are unchanged since it
/// was last hashed keeps its digest, so an unchanged context is checksummed without reading any file.
/// The records of a directory are loaded when a selection under it is first checksummed (<see cref="Prepare"/>),
/// each held as a path and 60 bytes of stat data and hash, and new ones are saved in one transaction.
/// </summary>
public sealed class StatDigestCache(CacheDatabase database) : IFileDigestCache
{
    private readonly ConcurrentDictionary<string, KnownFile> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FileDigestRecord> _fresh = new(StringComparer.Ordinal);
    private readonly HashSet<string> _loaded = new(StringComparer.Ordinal);
    private readonly Lock _loading = new();

    public void Prepare(string hostPath)
    {
        lock (_loading)
        {
            for (var scope = hostPath; !string.IsNullOrEmpty(scope); scope = Path.GetDirectoryName(scope))
                if (_loaded.Contains(scope)) return;
            database.ReadFileDigestsUnder(hostPath, (path, size, mtimeNs, inode, mode, digest) =>
            {
                if (Digest.TryParse(digest, out var parsed) && parsed.Algorithm == "sha256")
                    _known.TryAdd(path, new KnownFile(size, mtimeNs, inode, mode, Sha256Bytes.FromHex(parsed.Hex)));
            });
            _loaded.Add(hostPath);
        }
    }

    public Digest GetOrCompute(string hostPath, FileStatus status)
    {
        var mtime = status.MtimeSeconds * 1_000_000_000 + status.MtimeNanoseconds;
        if (_known.TryGetValue(hostPath, out var known) && known.Size == status.Size && known.MtimeNs == mtime
            && known.Inode == (long)status.Inode && known.Mode == status.Mode)
        {
            var hash = known.Hash;
            return Digest.FromHash(hash);
        }
        var digest = SelectionChecksum.FileDigest(hostPath);
        _known[hostPath] = new KnownFile(status.Size, mtime, (long)status.Inode, status.Mode, Sha256Bytes.FromHex(digest.Hex));
        _fresh[hostPath] = new FileDigestRecord(hostPath, status.Size, mtime, (long)status.Inode, status.Mode, digest);
        return digest;
    }

    /// <summary>Saves digests computed in this build.</summary>
    public void Save()
    {
        if (_fresh.IsEmpty) return;
        database.SaveFileDigests(_fresh.Values.ToList());
        _fresh.Clear();
    }

    private readonly record struct KnownFile(long Size, long MtimeNs, long Inode, uint Mode, Sha256Bytes Hash);

    /// <summary>A SHA-256 held inline (no hex string per file: 160,000 of them were 24 MB).</summary>
    [InlineArray(32)]
    private struct Sha256Bytes
    {
        private byte _first;

        public static Sha256Bytes FromHex(string hex)
        {
            var bytes = new Sha256Bytes();
            Convert.FromHexString(hex, bytes, out _, out _);
            return bytes;
        }
    }
}
