using Csbuild.Oci.Layers;
using Csbuild.Oci.Native;

namespace Csbuild.Executor.Snapshotters;

/// <summary>
/// One directory of a read-only layer chain as overlayfs would merge it, without mounting: the host
/// directories that make it up, top-most first, cut below the first opaque one. Whiteouts and opaque
/// directories are honoured in both overlay form (0:0 character device, trusted.overlay.opaque) and
/// OCI form (<c>.wh.NAME</c>, <c>.wh..wh..opq</c>).
/// </summary>
internal sealed class LowerStack
{
    private readonly string[] layers;

    private LowerStack(string[] layers) => this.layers = layers;

    /// <summary>The merged root of <paramref name="lowerDirsTopFirst"/>.</summary>
    public static LowerStack Root(IReadOnlyList<string> lowerDirsTopFirst)
    {
        var stack = new List<string>(lowerDirsTopFirst.Count);
        foreach (var dir in lowerDirsTopFirst)
        {
            stack.Add(Path.GetFullPath(dir));
            if (IsOpaque(dir)) break;
        }
        return new LowerStack([.. stack]);
    }

    public static LowerStack Empty { get; } = new([]);

    /// <summary>The host directory whose metadata the merged directory shows (the top-most one).</summary>
    public string? Top => layers.Length > 0 ? layers[0] : null;

    /// <summary>Every name some layer has here, including whited-out ones (<see cref="Find"/> says which are visible).</summary>
    public SortedSet<string> Names()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(layer))
            {
                var name = Path.GetFileName(path);
                if (!name.StartsWith(Whiteouts.Prefix, StringComparison.Ordinal)) names.Add(name);
            }
        }
        return names;
    }

    /// <summary>The visible entry <paramref name="name"/>, or null when no layer has it or a whiteout hides it.</summary>
    public LowerEntry? Find(string name)
    {
        List<string>? directories = null;
        FileStatus directoryStatus = default;
        foreach (var layer in layers)
        {
            if (File.Exists(Path.Combine(layer, Whiteouts.Prefix + name))) break;
            var path = Path.Combine(layer, name);
            if (Libc.TryStatNoFollow(path) is not { } status) continue;
            if (status.IsOverlayWhiteout) break;
            if (!status.IsDirectory)
            {
                // A file shadows everything below it; below a directory it is itself hidden.
                if (directories is null) return new LowerEntry(path, status, null);
                break;
            }
            if (directories is null) directoryStatus = status;
            (directories ??= []).Add(path);
            if (IsOpaque(path)) break;
        }
        return directories is null ? null : new LowerEntry(directories[0], directoryStatus, new LowerStack([.. directories]));
    }

    private static bool IsOpaque(string directory)
    {
        if (File.Exists(Path.Combine(directory, Whiteouts.OpaqueMarker))) return true;
        Span<byte> value = stackalloc byte[64];
        return IsYes(Libc.GetXattr(directory, "trusted.overlay.opaque\0"u8, value), value) ||
               IsYes(Libc.GetXattr(directory, "user.overlay.opaque\0"u8, value), value);

        static bool IsYes(int length, Span<byte> value) => length == 1 && value[0] == (byte)'y';
    }
}

/// <summary>A visible lower entry: its top-most host path and status, and for a directory the stack below it.</summary>
internal sealed record LowerEntry(string HostPath, FileStatus Status, LowerStack? Directory);
