using Csbuild.Oci.Model;

namespace Csbuild.Cache.Metadata;

/// <summary>A file's digest together with the stat data it was computed for.</summary>
public sealed record FileDigestRecord(string Path, long Size, long MtimeNs, long Inode, uint Mode, Digest Digest);

public sealed partial class CacheDatabase
{
    private bool _fileDigestsCreated;

    private void EnsureFileDigestTable()
    {
        if (_fileDigestsCreated) return;
        Execute("""
            CREATE TABLE IF NOT EXISTS file_digests(
              path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
              mode INTEGER NOT NULL, digest TEXT NOT NULL);
            """);
        _fileDigestsCreated = true;
    }

    public IReadOnlyList<FileDigestRecord> LoadFileDigests()
    {
        EnsureFileDigestTable();
        return Query("SELECT path, size, mtime_ns, inode, mode, digest FROM file_digests",
            r => new FileDigestRecord(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), (uint)r.GetInt64(4), Digest.Parse(r.GetString(5))));
    }

    public void SaveFileDigests(IReadOnlyList<FileDigestRecord> records)
    {
        EnsureFileDigestTable();
        WithWriteTransaction(() =>
        {
            foreach (var r in records)
                Execute("""
                    INSERT INTO file_digests(path, size, mtime_ns, inode, mode, digest) VALUES($p, $s, $m, $i, $mode, $d)
                    ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns, inode=excluded.inode,
                      mode=excluded.mode, digest=excluded.digest
                    """, ("$p", r.Path), ("$s", r.Size), ("$m", r.MtimeNs), ("$i", r.Inode), ("$mode", (long)r.Mode), ("$d", r.Digest.ToString()));
        });
    }
}
