namespace Csbuild.Frontend.Conversion;

/// <summary>A git source of ADD split into what git fetches and what the fragment (<c>#ref:subdir</c>) selects.</summary>
internal sealed record GitAddress(string Remote, string? Ref, string Subdirectory);

/// <summary>Recognises ADD's remote sources (URLs and git repositories) as BuildKit's Dockerfile frontend does.</summary>
internal static class AddSources
{
    public static bool IsUrl(string path) =>
        path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public static bool IsGit(string path) =>
        path.StartsWith("git@", StringComparison.Ordinal) || path.StartsWith("git://", StringComparison.Ordinal)
        || (path.Contains("://", StringComparison.Ordinal) && (path.EndsWith(".git", StringComparison.Ordinal) || path.Contains(".git#", StringComparison.Ordinal)));

    /// <summary><c>https://host/repo.git#v1.2:docs</c> → remote <c>https://host/repo.git</c>, ref <c>v1.2</c>, subdirectory <c>docs</c>.</summary>
    public static GitAddress ParseGit(string source)
    {
        var hash = source.IndexOf('#');
        if (hash < 0) return new GitAddress(source, null, "");
        var fragment = source[(hash + 1)..];
        var colon = fragment.IndexOf(':');
        var gitRef = colon < 0 ? fragment : fragment[..colon];
        var subdirectory = colon < 0 ? "" : fragment[(colon + 1)..];
        return new GitAddress(source[..hash], gitRef.Length == 0 ? null : gitRef, subdirectory);
    }

    /// <summary>The name a downloaded file gets: the URL path's last segment, <c>__unnamed__</c> when there is none (BuildKit's rule).</summary>
    public static string FileNameOf(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return "__unnamed__";
        var path = Uri.UnescapeDataString(uri.AbsolutePath).TrimEnd('/');
        var slash = path.LastIndexOf('/');
        var name = slash < 0 ? path : path[(slash + 1)..];
        return name.Length == 0 || name is "." or ".." ? "__unnamed__" : name;
    }
}
