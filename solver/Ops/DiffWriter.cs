using Csbuild.Oci.Native;
using Csbuild.Solver.Native;
using Csbuild.Solver.Snapshots;

namespace Csbuild.Solver.Ops;

/// <summary>
/// Writes changes into a new layer's diff directory (the top of <see cref="View"/>) without mounting:
/// missing parent directories are created with the metadata they have in the layers below, so a COPY
/// into /tmp keeps /tmp's 1777 mode. Owners that cannot be set (not root) are remembered for the layer tar.
/// </summary>
public sealed class DiffWriter
{
    public DiffWriter(IReadOnlyList<string> baseLayersBottomUp, string diffDirectory)
    {
        DiffDirectory = diffDirectory;
        View = new LayerChainView([.. baseLayersBottomUp, diffDirectory]);
    }

    public string DiffDirectory { get; }
    public LayerChainView View { get; }

    /// <summary>Owners the process could not apply with lchown, by relative path; the layer writer uses them.</summary>
    public Dictionary<string, (uint Uid, uint Gid)> OwnerOverrides { get; } = new(StringComparer.Ordinal);

    public string HostPath(string relativePath) => Path.Combine(DiffDirectory, relativePath);

    /// <summary>Makes sure every directory of <paramref name="relativeDirectory"/> exists in the diff.</summary>
    public void EnsureDirectory(string relativeDirectory, uint mode, uint uid, uint gid)
    {
        if (relativeDirectory.Length == 0) return;
        var parts = relativeDirectory.Split('/');
        for (int i = 1; i <= parts.Length; i++)
        {
            var rel = string.Join('/', parts, 0, i);
            var host = HostPath(rel);
            var inDiff = Libc.TryStatNoFollow(host);
            if (inDiff is { IsDirectory: true }) continue;
            if (inDiff is not null) RemoveEntry(host); // a whiteout or file being replaced by a directory
            var below = View.Find(rel) is { } lowerHost ? Libc.TryStatNoFollow(lowerHost) : null;
            Directory.CreateDirectory(host);
            if (below is { IsDirectory: true } existing)
            {
                SetOwner(rel, existing.Uid, existing.Gid);
                SetMode(host, existing.Permissions);
                SetMtime(host, existing.MtimeSeconds, existing.MtimeNanoseconds);
            }
            else
            {
                SetOwner(rel, uid, gid);
                SetMode(host, mode);
            }
        }
    }

    public void SetOwner(string relativePath, uint uid, uint gid) =>
        RecordOwner(relativePath, uid, gid, applied: FileOwnership.TryLchown(HostPath(relativePath), uid, gid));

    /// <summary>Notes whether the owner of an entry was set on disk; one that could not be is given to the layer tar.</summary>
    public void RecordOwner(string relativePath, uint uid, uint gid, bool applied)
    {
        if (!applied) OwnerOverrides[relativePath] = (uid, gid);
        else OwnerOverrides.Remove(relativePath);
    }

    public static void SetMode(string hostPath, uint permissions) => File.SetUnixFileMode(hostPath, (UnixFileMode)(permissions & 0xFFF));

    public static void SetMtime(string hostPath, long seconds, uint nanoseconds)
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / 100).UtcDateTime;
        File.SetLastWriteTimeUtc(hostPath, time);
    }

    /// <summary>Removes whatever is at a diff path (file, link, whiteout or directory tree).</summary>
    public static void RemoveEntry(string hostPath)
    {
        if (Libc.TryStatNoFollow(hostPath) is not { } status) return;
        if (status.IsDirectory) Directory.Delete(hostPath, recursive: true);
        else File.Delete(hostPath);
    }
}
