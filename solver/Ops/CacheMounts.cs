using System.Security.Cryptography;
using System.Text;
using Csbuild.Cache;
using Csbuild.Cache.Remote;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Model;
using Csbuild.Oci.Native;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver.Ops;

/// <summary>
/// The persistent directories of <c>RUN --mount=type=cache</c>: <c>ROOT/cache-mounts/HASH</c>, where HASH is the
/// sha256 of the id. An id is never used as a path: ids like "../../etc" or "a/b" only pick a hash (the
/// CVE-2024-9675 class of cache-id path traversal). Sharing: shared mounts use one directory at once; locked
/// ones wait on a file lock (which the kernel drops if the holder dies); a private one takes the first
/// instance (HASH, HASH-1, HASH-2, …) nobody else holds, creating a fresh one when all are in use.
/// </summary>
internal sealed class CacheMounts(CsbuildRoot root, ImportedCache? imported = null)
{
    private static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan ExportLockWait = TimeSpan.FromSeconds(10);
    private const int MaxPrivateInstances = 256;
    public const string DirectoryName = "cache-mounts";

    public string Directory { get; } = Path.Combine(root.Path, DirectoryName);

    /// <summary>A cache directory held for one step; disposing releases its lock.</summary>
    public sealed class Lease(string path, bool created, IDisposable? hold) : IDisposable
    {
        public string Path { get; } = path;

        /// <summary>Whether this lease made the directory (so a <c>from=</c> seed was copied in).</summary>
        public bool Created { get; } = created;

        public void Dispose() => hold?.Dispose();
    }

    public static string HashId(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));

    /// <param name="seed">Fills a new cache directory (from= source); null leaves it empty.</param>
    public async Task<Lease> AcquireAsync(ExecMount mount, Action<string>? seed, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var hash = HashId(mount.Id ?? mount.Target);
        switch (mount.Sharing)
        {
            case CacheSharing.Locked:
            {
                var hold = await LockAsync(Path.Combine(Directory, hash + ".lock"), ct);
                return Open(hash, hash, mount, seed, hold);
            }
            case CacheSharing.Private:
                for (var instance = 0; instance < MaxPrivateInstances; instance++)
                {
                    ct.ThrowIfCancellationRequested();
                    var name = instance == 0 ? hash : $"{hash}-{instance}";
                    if (TryLock(Path.Combine(Directory, name + ".lock")) is { } hold) return Open(name, hash, mount, seed, hold);
                }
                throw new BuildException($"cache mount {mount.Target}: all {MaxPrivateInstances} private instances are in use");
            default:
                // Shared: concurrent steps write to the same directory, as BuildKit's default.
                return Open(hash, hash, mount, seed, null);
        }
    }

    /// <summary>
    /// Held while a cache mount's directory is packed for <c>--cache-to ...,cache-mounts=true</c>, so a locked or
    /// private mount is not read while a step writes it; after a short wait the export reads it anyway (shared mounts
    /// have no lock, as in BuildKit). Null when not held.
    /// </summary>
    public static IDisposable? LockForExport(CsbuildRoot root, string hash)
    {
        try
        {
            return FileLock.Acquire(Path.Combine(root.Path, DirectoryName, hash + ".lock"), ExportLockWait);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private Lease Open(string name, string hash, ExecMount mount, Action<string>? seed, IDisposable? hold)
    {
        try
        {
            var path = Path.Combine(Directory, name);
            if (System.IO.Directory.Exists(path)) return new Lease(path, false, hold);

            // Build it aside and rename it in, so a concurrent step never sees a half-seeded cache.
            var staging = StaleFiles.NewPath(root.TempDirectory, "cache-mount");
            System.IO.Directory.CreateDirectory(staging);
            try
            {
                // A fresh runner starts warm: the contents exported with cache-mounts=true, else the from= seed.
                if (!RestoreImported(hash, staging)) seed?.Invoke(staging);
                File.SetUnixFileMode(staging, (UnixFileMode)(mount.Mode ?? 0b111_101_101));
                Libc.ChangeOwnerNoFollow(staging, (int)(mount.Uid ?? 0), (int)(mount.Gid ?? 0));
                System.IO.Directory.Move(staging, path);
                return new Lease(path, true, hold);
            }
            catch (IOException) when (System.IO.Directory.Exists(path))
            {
                StaleFiles.DeleteTree(staging); // another step created it first: use that one
                return new Lease(path, false, hold);
            }
            catch
            {
                StaleFiles.DeleteTree(staging);
                throw;
            }
        }
        catch
        {
            hold?.Dispose();
            throw;
        }
    }

    private bool RestoreImported(string hash, string staging)
    {
        if (imported?.FindMount(hash) is not var (entry, source)) return false;
        var blob = Digest.Parse(entry.Blob.Digest);
        root.RemoteBlobs.Register(blob, entry.Blob.Size, source.Store.Blobs);
        root.RemoteBlobs.EnsureLocal(blob);
        using var stream = root.Content.OpenRead(blob);
        LayerExtractor.Extract(stream, staging, LayerExtractOptions.Default);
        return true;
    }

    private static async Task<IDisposable> LockAsync(string path, CancellationToken ct)
    {
        while (true)
        {
            if (TryLock(path) is { } held) return held;
            await Task.Delay(LockPoll, ct);
        }
    }

    private static FileLock? TryLock(string path)
    {
        try
        {
            return FileLock.Acquire(path, TimeSpan.Zero);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
