namespace Csbuild.Cli.Context;

/// <summary>The kinds of build context <c>csbuild build</c> accepts as its PATH argument.</summary>
internal enum ContextKind { Directory, Stdin, Git, Url }

/// <summary>
/// Classifies the PATH argument as <c>docker build</c> does: <c>-</c> is a tar (or a lone Dockerfile) on stdin; a
/// git address is <c>git@…</c>, <c>git://…</c>, <c>github.com/…</c>, or an http(s)/ssh/file URL whose path ends in
/// <c>.git</c> (optionally followed by <c>#ref:subdir</c>); any other http(s) URL is a tarball (or a Dockerfile).
/// </summary>
internal static class ContextAddress
{
    public static ContextKind Classify(string argument)
    {
        if (argument == "-") return ContextKind.Stdin;
        if (IsGit(argument)) return ContextKind.Git;
        if (argument.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || argument.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return ContextKind.Url;
        return ContextKind.Directory;
    }

    public static bool IsGit(string argument)
    {
        if (argument.StartsWith("git@", StringComparison.Ordinal) || argument.StartsWith("git://", StringComparison.Ordinal)
            || argument.StartsWith("github.com/", StringComparison.Ordinal))
            return true;
        if (!argument.Contains("://", StringComparison.Ordinal)) return false;
        var hash = argument.IndexOf('#');
        var path = hash < 0 ? argument : argument[..hash];
        return path.EndsWith(".git", StringComparison.Ordinal) || path.EndsWith(".git/", StringComparison.Ordinal);
    }

    /// <summary><c>https://host/repo.git#ref:subdir</c> → remote, ref (null for the default branch), subdirectory ("" for the root).</summary>
    public static (string Remote, string? Ref, string Subdirectory) ParseGit(string argument)
    {
        var hash = argument.IndexOf('#');
        var remote = hash < 0 ? argument : argument[..hash];
        if (remote.StartsWith("github.com/", StringComparison.Ordinal)) remote = "https://" + remote;
        if (hash < 0) return (remote, null, "");
        var fragment = argument[(hash + 1)..];
        var colon = fragment.IndexOf(':');
        var gitRef = colon < 0 ? fragment : fragment[..colon];
        var subdirectory = colon < 0 ? "" : fragment[(colon + 1)..].Trim('/');
        if (subdirectory.Split('/').Any(part => part == ".."))
            throw new CliException($"invalid git context \"{argument}\": the subdirectory may not leave the repository");
        return (remote, gitRef.Length == 0 ? null : gitRef, subdirectory);
    }
}
