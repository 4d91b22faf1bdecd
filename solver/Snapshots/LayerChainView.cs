using Csbuild.Oci.Native;

namespace Csbuild.Solver.Snapshots;

/// <summary>
/// A read-only merged view of a layer chain without mounting it (no root needed): looks paths up from the
/// top layer down, honouring whiteouts and opaque directories in both overlayfs form (char device 0:0,
/// trusted.overlay.opaque xattr) and OCI form (<c>.wh.NAME</c>, <c>.wh..wh..opq</c>).
/// Paths are relative to the root, '/'-separated, and never contain "." or "..".
/// </summary>
public sealed class LayerChainView(IReadOnlyList<string> layersBottomUp)
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    public IReadOnlyList<string> Layers { get; } = layersBottomUp;

    /// <summary>The host path of the visible entry at <paramref name="relativePath"/> (not following a final symlink), or null.</summary>
    public string? Find(string relativePath)
    {
        if (relativePath.Length == 0) return Layers.Count > 0 ? Layers[^1] : null;
        var parts = relativePath.Split('/');
        for (int i = Layers.Count - 1; i >= 0; i--)
        {
            var layer = Layers[i];
            var state = Probe(layer, parts);
            switch (state)
            {
                case ProbeResult.Found: return Path.Combine(layer, relativePath);
                case ProbeResult.Hidden: return null;
                case ProbeResult.Absent: continue;
            }
        }
        return null;
    }

    /// <summary>Lists a directory's visible entries (name → host path of the entry).</summary>
    public IReadOnlyDictionary<string, string> List(string relativePath)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var hidden = new HashSet<string>(StringComparer.Ordinal);
        var parts = relativePath.Length == 0 ? [] : relativePath.Split('/');
        for (int i = Layers.Count - 1; i >= 0; i--)
        {
            var layer = Layers[i];
            var state = parts.Length == 0 ? ProbeResult.Found : Probe(layer, parts);
            if (state == ProbeResult.Hidden) break;
            if (state == ProbeResult.Absent) continue;
            var dir = parts.Length == 0 ? layer : Path.Combine(layer, relativePath);
            if (Libc.TryStatNoFollow(dir) is not { IsDirectory: true }) break;
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                var name = entry.Name;
                if (name == OpaqueMarker) continue;
                if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal)) { hidden.Add(name[WhiteoutPrefix.Length..]); continue; }
                if (hidden.Contains(name) || entries.ContainsKey(name)) continue;
                if (Libc.TryStatNoFollow(entry.FullName) is { IsOverlayWhiteout: true }) { hidden.Add(name); continue; }
                entries[name] = entry.FullName;
            }
            if (IsOpaque(dir)) break;
        }
        return entries;
    }

    /// <summary>
    /// Resolves symlinks in <paramref name="path"/> the way the container would see them, never leaving the root
    /// (an absolute or ".." link target is taken relative to the root, as securejoin does).
    /// The final component is followed only when <paramref name="followFinal"/> is set.
    /// </summary>
    public string Resolve(string path, bool followFinal)
    {
        var pending = new Stack<string>(SplitClean(path).Reverse());
        var resolved = new List<string>();
        int links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            resolved.Add(part);
            if (pending.Count == 0 && !followFinal) break;
            var host = Find(string.Join('/', resolved));
            if (host is null || Libc.TryStatNoFollow(host) is not { IsSymbolicLink: true }) continue;
            if (++links > 255) throw new IOException($"too many levels of symbolic links resolving /{path}");
            var target = new FileInfo(host).LinkTarget ?? throw new IOException($"cannot read symlink /{string.Join('/', resolved)}");
            resolved.RemoveAt(resolved.Count - 1);
            if (target.StartsWith('/')) resolved.Clear();
            foreach (var t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                if (t != ".") pending.Push(t);
        }
        return string.Join('/', resolved);
    }

    /// <summary>Splits an absolute or relative path into clean components ("." dropped, ".." kept for the resolver).</summary>
    public static IEnumerable<string> SplitClean(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");

    private enum ProbeResult { Absent, Found, Hidden }

    // What this layer says about the path: has it, hides it (whiteout or opaque ancestor), or is silent.
    private static ProbeResult Probe(string layer, string[] parts)
    {
        var current = layer;
        for (int i = 0; i < parts.Length; i++)
        {
            var parent = current;
            current = Path.Combine(current, parts[i]);
            if (File.Exists(Path.Combine(parent, WhiteoutPrefix + parts[i]))) return ProbeResult.Hidden;
            var status = Libc.TryStatNoFollow(current);
            if (status is null)
                return ProbeResult.Absent;
            if (status.Value.IsOverlayWhiteout) return ProbeResult.Hidden;
            if (i < parts.Length - 1)
            {
                if (!status.Value.IsDirectory) return ProbeResult.Hidden; // a non-directory here shadows everything below
                if (IsOpaque(current))
                {
                    // Lower layers are hidden below an opaque dir; this layer itself may still have the path.
                    var rest = Path.Combine(current, string.Join('/', parts[(i + 1)..]));
                    return Libc.TryStatNoFollow(rest) is { } s && !s.IsOverlayWhiteout ? ProbeResult.Found : ProbeResult.Hidden;
                }
            }
        }
        return ProbeResult.Found;
    }

    private static bool IsOpaque(string directory) =>
        File.Exists(Path.Combine(directory, OpaqueMarker)) || Native.FileOwnership.IsOverlayOpaque(directory);
}
