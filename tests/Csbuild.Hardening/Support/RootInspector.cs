using Microsoft.Data.Sqlite;

namespace Csbuild.Hardening.Support;

/// <summary>
/// Looks into a csbuild root from outside, without opening it through CsbuildRoot (whose Open cleans up what a
/// failed or killed run left, which is exactly what these checks must see).
/// </summary>
public static class RootInspector
{
    static RootInspector() => SQLitePCL.Batteries_V2.Init();

    /// <summary>Snapshot directories on disk that no layer row names, or that are half-written (*.tmp, *.extract-*).</summary>
    public static List<string> UnreferencedOrPartialSnapshots(string root)
    {
        var snapshots = Path.Combine(root, "snapshots");
        if (!Directory.Exists(snapshots)) return [];
        var referenced = Strings(root, "SELECT snapshot FROM layers WHERE snapshot IS NOT NULL").ToHashSet(StringComparer.Ordinal);
        return Directory.EnumerateDirectories(snapshots)
            .Select(Path.GetFileName)
            .Where(name => !referenced.Contains(name!) || name!.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(name => name!)
            .Concat(Directory.EnumerateDirectories(snapshots, "*.extract-*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(snapshots, p)))
            .ToList();
    }

    /// <summary>Files left in the root's temp directory.</summary>
    public static List<string> TempEntries(string root)
    {
        var tmp = Path.Combine(root, "tmp");
        return Directory.Exists(tmp) ? [.. Directory.EnumerateFileSystemEntries(tmp)] : [];
    }

    public static List<string> Strings(string root, string sql)
    {
        var db = Path.Combine(root, "cache.db");
        if (!File.Exists(db)) return [];
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        SqliteDataReader reader;
        try
        {
            reader = command.ExecuteReader();
        }
        catch (SqliteException e) when (e.Message.Contains("no such table", StringComparison.Ordinal))
        {
            return []; // created on first use (e.g. blob_conversions)
        }
        using var _ = reader;
        var values = new List<string>();
        while (reader.Read()) values.Add(reader.IsDBNull(0) ? "" : reader.GetValue(0).ToString()!);
        return values;
    }

    /// <summary>Runs one SQL statement against the root's metadata (tests that damage a root on purpose).</summary>
    public static void Execute(string root, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(root, "cache.db"), Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout=10000; " + sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Blob digests (hex) on disk with their sizes.</summary>
    public static Dictionary<string, long> Blobs(string root)
    {
        var dir = Path.Combine(root, "blobs", "sha256");
        return Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir).ToDictionary(f => Path.GetFileName(f), f => new FileInfo(f).Length)
            : [];
    }

    /// <summary>Mount points under <paramref name="root"/> in this process's mount table (/proc/self/mountinfo).</summary>
    public static List<string> MountsUnder(string root)
    {
        var prefix = Path.GetFullPath(root).TrimEnd('/') + "/";
        return File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' ')[4].Replace("\\040", " "))
            .Where(point => point.StartsWith(prefix, StringComparison.Ordinal) || point + "/" == prefix)
            .ToList();
    }
}
