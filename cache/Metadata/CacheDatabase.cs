using Microsoft.Data.Sqlite;

namespace Csbuild.Cache.Metadata;

/// <summary>
/// The SQLite metadata of a root (WAL, so readers never block and several processes can build at once).
/// Every write is one short IMMEDIATE transaction: it takes the write lock up front, so two processes
/// never deadlock upgrading read locks, and busy_timeout makes a writer wait instead of failing.
/// </summary>
public sealed partial class CacheDatabase : IDisposable
{
    private static readonly Lock InitLock = new();
    private static bool _initialized;
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    public CacheDatabase(string path)
    {
        lock (InitLock)
        {
            if (!_initialized)
            {
                SQLitePCL.Batteries_V2.Init();
                _initialized = true;
            }
        }
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        // The last connection to close would checkpoint the WAL into the database and fsync it: every short command
        // paid for a sync. The WAL stays instead, and an automatic checkpoint keeps it short: every process is the
        // first connection and so rebuilds the WAL index by reading the whole WAL: about 3 ms of every command's
        // start-up per MB, which SQLite's default of 1000 pages lets grow to 4 MB; 64 pages is 256 KB.
        SQLitePCL.raw.sqlite3_db_config(_connection.Handle, SQLitePCL.raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, out _);
        Execute("PRAGMA busy_timeout=60000;");
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA wal_autocheckpoint=64;");
        Execute("PRAGMA synchronous=NORMAL;");
        Execute("PRAGMA foreign_keys=OFF;");
        // A root at this schema needs no write to be opened (every command opens it; a write transaction costs a sync).
        if (Query("PRAGMA user_version;", r => r.GetInt64(0))[0] != SchemaVersion)
            WithWriteTransaction(() =>
            {
                Execute(Schema);
                Execute($"PRAGMA user_version={SchemaVersion};");
            });
    }

    /// <summary>Raise when <see cref="Schema"/> changes (it only ever adds tables and indexes, IF NOT EXISTS).</summary>
    private const int SchemaVersion = 1;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS layers(
          chain_id TEXT PRIMARY KEY,
          parent_chain_id TEXT,
          diff_id TEXT NOT NULL,
          blob_digest TEXT,
          blob_size INTEGER,
          media_type TEXT,
          snapshot TEXT,
          size INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          last_used INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS layers_parent ON layers(parent_chain_id);
        CREATE TABLE IF NOT EXISTS cache_records(
          key TEXT PRIMARY KEY,
          chain_id TEXT,
          base_chain_id TEXT,
          description TEXT,
          created_at INTEGER NOT NULL,
          last_used INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS cache_records_chain ON cache_records(chain_id);
        CREATE TABLE IF NOT EXISTS images(
          name TEXT PRIMARY KEY,
          manifest_digest TEXT NOT NULL,
          media_type TEXT NOT NULL,
          size INTEGER NOT NULL,
          created_at INTEGER NOT NULL);
        """;

    internal static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    internal void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        lock (_gate)
        {
            using var command = Command(sql, parameters);
            command.ExecuteNonQuery();
        }
    }

    internal List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] parameters)
    {
        lock (_gate)
        {
            using var command = Command(sql, parameters);
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read()) rows.Add(map(reader));
            return rows;
        }
    }

    /// <summary>Like <see cref="Query{T}"/>, for results too large to hold as a list: each row goes to <paramref name="visit"/>.</summary>
    internal void Read(string sql, Action<SqliteDataReader> visit, params (string Name, object? Value)[] parameters)
    {
        lock (_gate)
        {
            using var command = Command(sql, parameters);
            using var reader = command.ExecuteReader();
            while (reader.Read()) visit(reader);
        }
    }

    /// <summary>Runs <paramref name="work"/> in one IMMEDIATE transaction, committed when it returns.</summary>
    internal T WithWriteTransaction<T>(Func<T> work)
    {
        lock (_gate)
        {
            using (var begin = Command("BEGIN IMMEDIATE;")) begin.ExecuteNonQuery();
            try
            {
                var result = work();
                using (var commit = Command("COMMIT;")) commit.ExecuteNonQuery();
                return result;
            }
            catch
            {
                using (var rollback = Command("ROLLBACK;")) rollback.ExecuteNonQuery();
                throw;
            }
        }
    }

    internal void WithWriteTransaction(Action work) => WithWriteTransaction(() => { work(); return 0; });

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public void Dispose() => _connection.Dispose();
}
