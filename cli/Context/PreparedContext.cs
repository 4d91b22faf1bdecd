using Csbuild.Cache;
using Csbuild.Solver.Sources;

namespace Csbuild.Cli.Context;

/// <summary>
/// The build context as a directory on disk. For a context from stdin, git or a URL it is a temporary directory
/// under the root's temp directory (removed on dispose; a crash leaves it to the root's stale-file sweep).
/// <see cref="DockerfileText"/> is set when the input was a lone Dockerfile rather than an archive (empty context).
/// </summary>
internal sealed class PreparedContext : IDisposable
{
    private readonly string? _temporary;

    private PreparedContext(string directory, string? temporary, string? dockerfileText, bool isRemote)
    {
        Directory = directory;
        _temporary = temporary;
        DockerfileText = dockerfileText;
        IsRemote = isRemote;
    }

    public string Directory { get; }

    public string? DockerfileText { get; }

    /// <summary>Not a directory the user named: <c>-f</c> is looked up inside the context first.</summary>
    public bool IsRemote { get; }

    public void Dispose()
    {
        if (_temporary is not null) StaleFiles.DeleteTree(_temporary);
    }

    public static async Task<PreparedContext> PrepareAsync(string argument, string tempRoot, CancellationToken ct)
    {
        switch (ContextAddress.Classify(argument))
        {
            case ContextKind.Directory:
                var directory = Path.GetFullPath(argument);
                if (!System.IO.Directory.Exists(directory))
                    throw new CliException($"unable to prepare context: path \"{argument}\" not found");
                return new PreparedContext(directory, null, null, isRemote: false);
            case ContextKind.Stdin:
                if (!Console.IsInputRedirected)
                    throw new CliException("unable to prepare context: the context is '-' but standard input is a terminal (pipe a tar archive or a Dockerfile)");
                return await FromArchiveAsync(tempRoot, "standard input", async (file, token) =>
                {
                    await using var stdin = Console.OpenStandardInput();
                    await stdin.CopyToAsync(file, 1 << 20, token);
                }, ct);
            case ContextKind.Url:
                return await FromArchiveAsync(tempRoot, Redact(argument), async (file, token) =>
                {
                    using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
                    using var response = await http.GetAsync(argument, HttpCompletionOption.ResponseHeadersRead, token);
                    if (!response.IsSuccessStatusCode)
                        throw new CliException($"unable to prepare context: GET {Redact(argument)}: {(int)response.StatusCode} {response.ReasonPhrase}", ExitCodes.BuildFailed);
                    await using var body = await response.Content.ReadAsStreamAsync(token);
                    await body.CopyToAsync(file, 1 << 20, token);
                }, ct);
            case ContextKind.Git:
                return await FromGitAsync(argument, tempRoot, ct);
            default:
                throw new InvalidOperationException("unknown context kind");
        }
    }

    /// <summary>Streams the input to a file (never into memory), then unpacks it, or keeps it as the Dockerfile when it is no archive.</summary>
    private static async Task<PreparedContext> FromArchiveAsync(string tempRoot, string what, Func<Stream, CancellationToken, Task> fetch, CancellationToken ct)
    {
        var temporary = NewTemporary(tempRoot);
        try
        {
            var archive = Path.Combine(temporary, "input");
            await using (var file = new FileStream(archive, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                await fetch(file, ct);
            var context = Path.Combine(temporary, "context");
            System.IO.Directory.CreateDirectory(context);
            if (!TarContext.IsTar(archive))
            {
                // docker build - < Dockerfile: the input is the Dockerfile, and the context is empty.
                var text = await File.ReadAllTextAsync(archive, ct);
                File.Delete(archive);
                return new PreparedContext(context, temporary, text, isRemote: true);
            }
            await Task.Run(() => TarContext.Extract(archive, context, what), ct);
            File.Delete(archive);
            return new PreparedContext(context, temporary, null, isRemote: true);
        }
        catch
        {
            StaleFiles.DeleteTree(temporary);
            throw;
        }
    }

    /// <summary>A git context: the ref's commit checked out shallowly (submodules too), without .git, narrowed to the subdirectory.</summary>
    private static async Task<PreparedContext> FromGitAsync(string argument, string tempRoot, CancellationToken ct)
    {
        var (remote, gitRef, subdirectory) = ContextAddress.ParseGit(argument);
        var temporary = NewTemporary(tempRoot);
        try
        {
            var checkout = Path.Combine(temporary, "repo");
            try
            {
                var commit = await GitSource.ResolveCommitAsync(remote, gitRef, ct);
                await GitSource.CheckoutAsync(remote, gitRef, commit, checkout, ct);
            }
            catch (Solver.BuildException e)
            {
                throw new CliException($"unable to prepare context: {e.Message}", ExitCodes.BuildFailed);
            }
            StaleFiles.DeleteTree(Path.Combine(checkout, ".git"));
            var context = subdirectory.Length == 0 ? checkout : Path.Combine(checkout, subdirectory);
            // A repository may hold symlinks: the subdirectory must be a real directory inside the checkout, never a way out.
            var walked = checkout;
            foreach (var part in subdirectory.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                walked = Path.Combine(walked, part);
                if (new DirectoryInfo(walked) is { Exists: true, LinkTarget: not null })
                    throw new CliException($"unable to prepare context: \"{subdirectory}\" in {HttpDownloader.Redacted(remote)} goes through a symbolic link", ExitCodes.BuildFailed);
            }
            if (!System.IO.Directory.Exists(context))
                throw new CliException($"unable to prepare context: directory \"{subdirectory}\" not found in {HttpDownloader.Redacted(remote)}", ExitCodes.BuildFailed);
            return new PreparedContext(context, temporary, null, isRemote: true);
        }
        catch
        {
            StaleFiles.DeleteTree(temporary);
            throw;
        }
    }

    private static string NewTemporary(string tempRoot)
    {
        System.IO.Directory.CreateDirectory(tempRoot);
        var path = StaleFiles.NewPath(tempRoot, "context");
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    private static string Redact(string url) => HttpDownloader.Redacted(url);
}
