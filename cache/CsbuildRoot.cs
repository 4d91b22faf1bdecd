using Csbuild.Cache.Content;
using Csbuild.Cache.Images;
using Csbuild.Cache.Metadata;
using Csbuild.Cache.Snapshots;

namespace Csbuild.Cache;

/// <summary>
/// The state directory of csbuild (DESIGN.md: Storage): the content store, unpacked snapshots, the SQLite
/// metadata and the local image store, which is itself a valid OCI image layout. Several processes may share it.
/// </summary>
public sealed class CsbuildRoot : IDisposable
{
    private CsbuildRoot(string path, Gc.LeaseRegistration registration)
    {
        Path = path;
        Directory.CreateDirectory(path);
        Directory.CreateDirectory(TempDirectory);
        Database = new CacheDatabase(System.IO.Path.Combine(path, "cache.db"));
        Content = new ContentStore(path, TempDirectory);
        RemoteBlobs = new LazyBlobs(Content);
        Snapshots = new SnapshotStore(System.IO.Path.Combine(path, "snapshots"), Database, Content, RemoteBlobs);
        Images = new ImageStore(path, Database, Content);
        Lease = new Gc.BuildLease(Database, registration);
    }

    public string Path { get; }
    public string TempDirectory => System.IO.Path.Combine(Path, "tmp");

    /// <summary>
    /// Held while a step with this cache key runs, so concurrent builds on the root run a shared step once: the
    /// others wait, then find its cache record. The kernel drops the lock if the holder dies.
    /// </summary>
    public async Task<FileLock> LockStepAsync(string cacheKey, CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.Combine(Path, "locks");
        System.IO.Directory.CreateDirectory(directory);
        var name = Oci.Model.Digest.TryParse(cacheKey, out var d) ? d.Hex : Oci.Model.Digest.Of(cacheKey).Hex;
        return await FileLock.AcquireAsync(System.IO.Path.Combine(directory, name + ".lock"), cancellationToken);
    }
    public CacheDatabase Database { get; }
    public ContentStore Content { get; }
    public SnapshotStore Snapshots { get; }

    /// <summary>Blobs of imported cache records that stay remote until a step or an export needs them.</summary>
    public LazyBlobs RemoteBlobs { get; }
    public ImageStore Images { get; }

    /// <summary>What this process uses from the root, kept by collectors in other processes until disposal.</summary>
    public Gc.BuildLease Lease { get; }

    /// <summary>Opens (creating when needed) a root and removes what killed processes left behind.</summary>
    public static CsbuildRoot Open(string path, Gc.LeaseRegistration registration = Gc.LeaseRegistration.AtOpen)
    {
        var root = new CsbuildRoot(System.IO.Path.GetFullPath(path), registration);
        try
        {
            StaleFiles.Clean(root.TempDirectory);
            root.Snapshots.RemoveAbandoned();
            root.Images.EnsureLayout();
        }
        catch
        {
            root.Dispose();
            throw;
        }
        return root;
    }

    /// <summary>The default root: <c>$CSBUILD_ROOT</c>, else /var/lib/csbuild as root, else $XDG_DATA_HOME/csbuild.</summary>
    public static string DefaultPath()
    {
        var fromEnv = Environment.GetEnvironmentVariable("CSBUILD_ROOT");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        if (Environment.IsPrivilegedProcess) return "/var/lib/csbuild";
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(xdg))
            xdg = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return System.IO.Path.Combine(xdg, "csbuild");
    }

    public void Dispose()
    {
        try
        {
            Lease.Dispose();
        }
        finally
        {
            Database.Dispose();
        }
    }
}
