namespace Csbuild.Frontend.Conversion;

/// <summary>Path arithmetic inside the image (always '/'-separated, whatever the host).</summary>
internal static class UnixPath
{
    public static bool IsAbsolute(string path) => path.StartsWith('/');

    /// <summary>Go's <c>path.Clean</c>.</summary>
    public static string Clean(string path) => Csbuild.Solver.Context.PathPatternMatcher.CleanPath(path);

    /// <summary>Go's <c>path.Join</c>: joins non-empty elements and cleans the result.</summary>
    public static string Join(string a, string b)
    {
        if (a.Length == 0) return b.Length == 0 ? "" : Clean(b);
        if (b.Length == 0) return Clean(a);
        return Clean(a + "/" + b);
    }

    /// <summary>A path as seen from <paramref name="workingDir"/>: absolute paths stay, relative ones are joined.</summary>
    public static string Resolve(string workingDir, string path) =>
        IsAbsolute(path) ? Clean(path) : Join(string.IsNullOrEmpty(workingDir) ? "/" : workingDir, path);
}
