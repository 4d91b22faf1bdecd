namespace Csbuild.Solver.Context;

/// <summary>
/// One source of a COPY as the Dockerfile reference defines it: the path (or each wildcard match) and, for
/// a directory, everything under it. A directory's contents are copied, not the directory itself.
/// </summary>
public sealed record CopyMatch(SourceEntry Root, IReadOnlyList<SourceEntry> Descendants)
{
    public string Name => Root.RelativePath.Length == 0 ? "" : Path.GetFileName(Root.RelativePath);
}

public static class CopySelection
{
    /// <summary>Resolves every source pattern of a COPY; a source that matches nothing is an error, as in BuildKit.</summary>
    public static IReadOnlyList<CopyMatch> Select(ICopySource source, IReadOnlyList<string> sources, IReadOnlyList<string> excludes, bool followSymlinks)
    {
        var exclude = excludes.Count == 0 ? null : new PathPatternMatcher(excludes);
        var matches = new List<CopyMatch>();
        foreach (var pattern in sources)
        {
            var clean = CleanSourcePath(pattern);
            var found = ComponentGlob.HasWildcards(clean) ? Glob(source, clean).ToList() : Single(source, clean, followSymlinks);
            found.RemoveAll(e => exclude is not null && exclude.IsExcluded(e.RelativePath, e.Status.IsDirectory));
            if (found.Count == 0 && !ComponentGlob.HasWildcards(clean))
                throw new BuildException($"\"/{clean}\": not found in the build context or excluded by .dockerignore");
            foreach (var root in found)
            {
                var descendants = new List<SourceEntry>();
                if (root.Status.IsDirectory) Walk(source, root.RelativePath, root.RelativePath.Length == 0 ? 0 : root.RelativePath.Length + 1, exclude, descendants);
                matches.Add(new CopyMatch(root, descendants));
            }
        }
        if (matches.Count == 0)
            throw new BuildException($"no source files were specified: {string.Join(", ", sources)} matched nothing");
        return matches;
    }

    /// <summary>A COPY source made relative to the source root; ".." may not climb out of it.</summary>
    public static string CleanSourcePath(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) throw new BuildException($"forbidden path outside the build context: {path}");
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private static List<SourceEntry> Single(ICopySource source, string path, bool followSymlinks)
    {
        var entry = source.Get(path);
        if (entry is null) return [];
        if (followSymlinks && entry.Value.Status.IsSymbolicLink && source.ResolveSymlink(path) is { } target && source.Get(target) is { } resolved)
            // The named source is followed (within the source only); its contents keep the name the user gave.
            return [resolved with { RelativePath = target }];
        return [entry.Value];
    }

    private static IEnumerable<SourceEntry> Glob(ICopySource source, string pattern)
    {
        var parts = pattern.Split('/');
        IEnumerable<string> current = [""];
        for (int i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var next = new List<string>();
            foreach (var dir in current)
            {
                if (!ComponentGlob.HasWildcards(part))
                {
                    var rel = dir.Length == 0 ? part : dir + "/" + part;
                    if (source.Get(rel) is not null) next.Add(rel);
                    continue;
                }
                if (source.Get(dir) is not { Status.IsDirectory: true }) continue;
                foreach (var child in source.List(dir))
                    if (ComponentGlob.IsMatch(part, Path.GetFileName(child.RelativePath))) next.Add(child.RelativePath);
            }
            current = next;
        }
        foreach (var rel in current)
            if (source.Get(rel) is { } entry) yield return entry;
    }

    // --exclude patterns inside a copied directory match paths relative to that directory, as BuildKit's copy does.
    private static void Walk(ICopySource source, string directory, int rootPrefix, PathPatternMatcher? exclude, List<SourceEntry> into)
    {
        foreach (var child in source.List(directory))
        {
            if (exclude is not null && exclude.IsExcluded(child.RelativePath[rootPrefix..], child.Status.IsDirectory)) continue;
            into.Add(child);
            if (child.Status.IsDirectory) Walk(source, child.RelativePath, rootPrefix, exclude, into);
        }
    }
}
