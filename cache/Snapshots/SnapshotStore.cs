using Csbuild.Cache.Content;
using Csbuild.Cache.Metadata;

namespace Csbuild.Cache.Snapshots;

/// <summary>
/// Unpacked layers: <c>snapshots/NAME/fs</c> holds one layer's diff in overlayfs upper-dir form, ready to be
/// an overlay lower dir. Names are short because a RUN step's mount options list every lower dir and the
/// kernel caps mount options at one page.
/// </summary>
public sealed class SnapshotStore(string directory, CacheDatabase database, ContentStore content, LazyBlobs? lazyBlobs = null)
{
    private static readonly TimeSpan OrphanAge = TimeSpan.FromMinutes(10);

    public string Directory { get; } = directory;

    public string FsPath(string snapshot) => Path.Combine(Directory, snapshot, "fs");

    /// <summary>Starts a new snapshot (a RUN's upper dir or a COPY's output) in a directory owned by this process.</summary>
    public ActiveSnapshot Begin()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var name = NewName();
        var path = Path.Combine(Directory, $"{name}.{Environment.ProcessId}.tmp");
        System.IO.Directory.CreateDirectory(Path.Combine(path, "fs"));
        System.IO.Directory.CreateDirectory(Path.Combine(path, "work"));
        return new ActiveSnapshot(this, name, path);
    }

    /// <summary>Makes an active snapshot permanent under its name (the caller records it in the metadata).</summary>
    internal string Commit(ActiveSnapshot active)
    {
        StaleFiles.DeleteTree(Path.Combine(active.Path, "work"));
        System.IO.Directory.Move(active.Path, Path.Combine(Directory, active.Name));
        return active.Name;
    }

    /// <summary>
    /// The fs directory of a layer, unpacking its blob first if the layer has no snapshot on disk yet
    /// (base image layers are unpacked lazily, only when a step mounts or reads them).
    /// </summary>
    public string EnsureUnpacked(LayerRecord layer, Func<Stream, string, Oci.Model.Digest> extract)
    {
        if (layer.Snapshot is { } existing && System.IO.Directory.Exists(FsPath(existing)))
            return FsPath(existing);
        if (layer.BlobDigest is not { } blob)
            throw new InvalidDataException($"layer {layer.DiffId} has neither a snapshot nor a blob; run 'csbuild prune' to drop the broken record");
        if (lazyBlobs is not null && !content.Exists(blob)) lazyBlobs.EnsureLocal(blob); // an imported cache layer, fetched now it is needed

        using var active = Begin();
        System.IO.Directory.Delete(active.FsPath);
        using (var stream = content.OpenRead(blob))
        {
            var diffId = extract(stream, active.FsPath);
            if (diffId != layer.DiffId)
                throw new InvalidDataException($"layer blob {blob} unpacks to {diffId}, but the image says {layer.DiffId}");
        }
        var name = active.Commit();
        var winner = database.SetSnapshotIfMissing(layer.ChainId, name);
        if (winner != name)
        {
            if (System.IO.Directory.Exists(FsPath(winner)))
            {
                StaleFiles.DeleteTree(Path.Combine(Directory, name));
                return FsPath(winner);
            }
            // The recorded snapshot was lost (killed before its rename): ours replaces it.
            database.SetSnapshot(layer.ChainId, name);
        }
        return FsPath(name);
    }

    /// <summary>Removes snapshots of killed processes and old directories no layer refers to.</summary>
    public void RemoveAbandoned()
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        StaleFiles.Clean(Directory);
        var referenced = database.ReferencedSnapshots();
        foreach (var dir in new DirectoryInfo(Directory).EnumerateDirectories())
        {
            if (dir.Name.EndsWith(".tmp", StringComparison.Ordinal) || referenced.Contains(dir.Name)) continue;
            if (DateTime.UtcNow - dir.LastWriteTimeUtc < OrphanAge) continue; // may be a live process's fresh commit
            StaleFiles.DeleteTree(dir.FullName);
        }
    }

    private static string NewName()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(10, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = alphabet[Random.Shared.Next(alphabet.Length)];
        });
    }
}

/// <summary>A snapshot being written. Disposing it without Commit deletes it.</summary>
public sealed class ActiveSnapshot(SnapshotStore store, string name, string path) : IDisposable
{
    private bool _committed;

    public string Name { get; } = name;
    public string Path { get; } = path;
    public string FsPath => System.IO.Path.Combine(Path, "fs");
    public string WorkPath => System.IO.Path.Combine(Path, "work");

    public string Commit()
    {
        var name = store.Commit(this);
        _committed = true;
        return name;
    }

    public void Dispose()
    {
        if (!_committed && System.IO.Directory.Exists(Path)) StaleFiles.DeleteTree(Path);
    }
}
