namespace Csbuild.Frontend;

/// <summary>
/// Reads the context's ignore file: <c>&lt;Dockerfile name&gt;.dockerignore</c> next to the Dockerfile when it exists
/// (BuildKit's per-Dockerfile ignore file), else <c>.dockerignore</c> at the context root. Lines are read as
/// moby's ignorefile package does: <c>#</c> comments and blank lines skipped, blanks trimmed, paths cleaned,
/// a leading <c>/</c> dropped, <c>!</c> kept in front.
/// </summary>
public static class DockerIgnore
{
    /// <summary>The patterns for a build of <paramref name="contextDir"/> with the Dockerfile at <paramref name="dockerfilePath"/>.</summary>
    public static IReadOnlyList<string> Read(string contextDir, string? dockerfilePath = null)
    {
        if (dockerfilePath is not null)
        {
            var beside = dockerfilePath + ".dockerignore";
            if (File.Exists(beside)) return Parse(File.ReadAllText(beside));
        }
        var atRoot = Path.Combine(contextDir, ".dockerignore");
        return File.Exists(atRoot) ? Parse(File.ReadAllText(atRoot)) : [];
    }

    /// <summary>Reads ignore-file text into patterns.</summary>
    public static IReadOnlyList<string> Parse(string text)
    {
        var patterns = new List<string>();
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            // A comment is a line starting with '#' (not after blanks: moby checks the raw first byte).
            if (line.StartsWith('#')) continue;
            var pattern = line.Trim();
            if (pattern.Length == 0) continue;
            var invert = pattern[0] == '!';
            if (invert) pattern = pattern[1..].Trim();
            if (pattern.Length > 0)
            {
                pattern = Csbuild.Solver.Context.PathPatternMatcher.CleanPath(pattern);
                if (pattern.Length > 1 && pattern[0] == '/') pattern = pattern[1..];
            }
            patterns.Add(invert ? "!" + pattern : pattern);
        }
        return patterns;
    }
}
