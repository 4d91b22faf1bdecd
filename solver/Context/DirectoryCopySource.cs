using Csbuild.Oci.Native;

namespace Csbuild.Solver.Context;

/// <summary>A host directory (the build context) seen through its .dockerignore patterns.</summary>
public sealed class DirectoryCopySource(string directory, IReadOnlyList<string> excludePatterns) : ICopySource
{
    private readonly PathPatternMatcher? _ignore = excludePatterns.Count == 0 ? null : new PathPatternMatcher(excludePatterns);

    public string Directory { get; } = Path.GetFullPath(directory);

    public bool PreservesOwnership => false;

    public SourceEntry? Get(string relativePath)
    {
        if (relativePath.Length == 0) return new SourceEntry("", Directory, Libc.StatNoFollow(Directory));
        var host = Path.Combine(Directory, relativePath);
        if (Libc.TryStatNoFollow(host) is not { } status) return null;
        if (IsIgnored(relativePath, status.IsDirectory)) return null;
        // A path reached through a symlinked parent directory is not in the context proper.
        var parent = Path.GetDirectoryName(relativePath);
        if (!string.IsNullOrEmpty(parent) && HasSymlinkAncestor(parent)) return null;
        return new SourceEntry(relativePath, host, status);
    }

    public IEnumerable<SourceEntry> List(string relativePath)
    {
        var dir = relativePath.Length == 0 ? Directory : Path.Combine(Directory, relativePath);
        var names = new List<string>();
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos()) names.Add(entry.Name);
        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var rel = relativePath.Length == 0 ? name : relativePath + "/" + name;
            var host = Path.Combine(dir, name);
            if (Libc.TryStatNoFollow(host) is not { } status) continue;
            if (IsIgnored(rel, status.IsDirectory))
            {
                // An excluded directory may still hold re-included files ("!dir/keep"); walk it only then.
                if (status.IsDirectory && _ignore!.MayIncludeInside(rel)) yield return new SourceEntry(rel, host, status);
                continue;
            }
            yield return new SourceEntry(rel, host, status);
        }
    }

    public string? ResolveSymlink(string relativePath)
    {
        var resolved = new List<string>(relativePath.Split('/'));
        for (int hops = 0; hops < 255; hops++)
        {
            var host = Path.Combine(Directory, string.Join('/', resolved));
            if (Libc.TryStatNoFollow(host) is not { IsSymbolicLink: true }) return string.Join('/', resolved);
            var target = new FileInfo(host).LinkTarget!;
            resolved.RemoveAt(resolved.Count - 1);
            if (target.StartsWith('/')) return null; // an absolute link points at the host, never into the context
            foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == ".") continue;
                if (part == "..")
                {
                    if (resolved.Count == 0) return null;
                    resolved.RemoveAt(resolved.Count - 1);
                }
                else resolved.Add(part);
            }
        }
        return null;
    }

    private bool IsIgnored(string relativePath, bool isDirectory) => _ignore is not null && _ignore.IsExcluded(relativePath, isDirectory);

    private bool HasSymlinkAncestor(string relativeDirectory)
    {
        var current = Directory;
        foreach (var part in relativeDirectory.Split('/'))
        {
            current = Path.Combine(current, part);
            if (Libc.TryStatNoFollow(current) is { IsSymbolicLink: true }) return true;
        }
        return false;
    }
}
