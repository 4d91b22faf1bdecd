using Csbuild.Oci.Model;

namespace Csbuild.Cache.Metadata;

/// <summary>A file's digest together with the stat data it was computed for.</summary>
public sealed record FileDigestRecord(string Path, long Size, long MtimeNs, long Inode, uint Mode, Digest Digest);

/// <summary>Receives one stored file digest row; <paramref name="digest"/> is the stored "sha256:…" text.</summary>
public delegate void FileDigestRow(string path, long size, long mtimeNs, long inode, uint mode, string digest);

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

    /// <summary>
    /// Streams the rows for <paramref name="path"/> and everything under it, through the primary key's index: a build
    /// reads the records of the directories it checksums, not those of every context and snapshot ever hashed.
    /// </summary>
    public void ReadFileDigestsUnder(string path, FileDigestRow row)
    {
        EnsureFileDigestTable();
        var directory = path.TrimEnd('/');
        // Paths under the directory sort between "dir/" and "dir0" ('0' follows '/' in every byte-wise order).
        Read("""
            SELECT path, size, mtime_ns, inode, mode, digest FROM file_digests
            WHERE path = $self OR (path >= $low AND path < $high)
            """,
            r => row(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), (uint)r.GetInt64(4), r.GetString(5)),
            ("$self", path), ("$low", directory + "/"), ("$high", directory + "0"));
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
