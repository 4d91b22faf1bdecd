namespace Csbuild.Solver.Sources;

/// <summary>
/// Fetches one commit of a git repository with the git CLI: a ref is resolved to a commit with
/// <c>git ls-remote</c> (that commit enters the cache key), then only that commit is fetched, shallowly.
/// </summary>
public static class GitSource
{
    /// <summary>The commit a ref names on the remote (tags peeled to their commit); a full commit id is returned as is.</summary>
    public static async Task<string> ResolveCommitAsync(string remote, string? gitRef, CancellationToken ct)
    {
        if (gitRef is not null && IsCommitId(gitRef)) return gitRef;
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in (await GitCli.RunAsync(null, ct, "ls-remote", "--", remote)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = line.IndexOf('\t');
            if (tab > 0) refs[line[(tab + 1)..].Trim()] = line[..tab];
        }
        var name = gitRef ?? "HEAD";
        // git's own order for a short name (git-rev-parse): the name itself, a tag (peeled), then a branch.
        string[] candidates = [name + "^{}", name, $"refs/tags/{name}^{{}}", $"refs/tags/{name}", $"refs/heads/{name}"];
        foreach (var candidate in candidates)
            if (refs.TryGetValue(candidate, out var commit)) return commit;
        throw new BuildException($"git ref '{name}' not found in {HttpDownloader.Redacted(remote)}");
    }

    /// <summary>
    /// Checks <paramref name="commit"/> out into <paramref name="directory"/> (created), with a <c>.git</c> directory
    /// whose origin is <paramref name="remote"/>; submodules are checked out too.
    /// </summary>
    public static async Task CheckoutAsync(string remote, string? gitRef, string commit, string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        await GitCli.RunAsync(directory, ct, "init", "-q");
        await GitCli.RunAsync(directory, ct, "remote", "add", "origin", remote);
        try
        {
            await GitCli.RunAsync(directory, ct, "fetch", "-q", "--depth=1", "--no-tags", "origin", commit);
        }
        catch (BuildException)
        {
            // Servers that refuse to serve an unadvertised commit still serve the ref (or, at worst, everything).
            if (gitRef is not null && !IsCommitId(gitRef)) await GitCli.RunAsync(directory, ct, "fetch", "-q", "--no-tags", "origin", gitRef);
            else await GitCli.RunAsync(directory, ct, "fetch", "-q", "origin");
        }
        await GitCli.RunAsync(directory, ct, "-c", "advice.detachedHead=false", "checkout", "-q", commit);
        if (File.Exists(Path.Combine(directory, ".gitmodules")))
            await GitCli.RunAsync(directory, ct, "submodule", "update", "-q", "--init", "--recursive", "--depth=1");
    }

    private static bool IsCommitId(string value) =>
        value.Length is 40 or 64 && value.All(char.IsAsciiHexDigitLower);
}
