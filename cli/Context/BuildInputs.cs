namespace Csbuild.Cli.Context;

/// <summary>
/// The context directory and Dockerfile of a build, from the PATH argument and <c>-f</c>: a directory, <c>-</c> (a tar
/// or a lone Dockerfile on stdin), a git URL or a tarball URL; <c>-f -</c> reads the Dockerfile from stdin. For a
/// context that is not a local directory, a relative <c>-f</c> names a file inside it (as docker does for remote
/// contexts), falling back to a host path.
/// </summary>
internal sealed class BuildInputs : IDisposable
{
    private readonly PreparedContext _context;

    private BuildInputs(PreparedContext context, string? dockerfilePath, string dockerfileText)
    {
        _context = context;
        DockerfilePath = dockerfilePath;
        DockerfileText = dockerfileText;
    }

    public string ContextDirectory => _context.Directory;

    /// <summary>The Dockerfile on disk (null when it came from stdin or as the whole input).</summary>
    public string? DockerfilePath { get; }

    public string DockerfileText { get; }

    public string DockerfileName => DockerfilePath is null ? "Dockerfile" : Path.GetFileName(DockerfilePath);

    public void Dispose() => _context.Dispose();

    public static async Task<BuildInputs> LoadAsync(string? contextArg, string? file, string tempRoot, CancellationToken ct)
    {
        if (contextArg is null)
            throw new CliException("'csbuild build' requires exactly 1 argument: the build context (e.g. 'csbuild -t app:1 .')");
        if (contextArg == "-" && file == "-")
            throw new CliException("invalid argument: can't use stdin for both the build context and the Dockerfile");
        var context = await PreparedContext.PrepareAsync(contextArg, tempRoot, ct);
        try
        {
            if (context.DockerfileText is { } whole)
            {
                if (file is not null) throw new CliException("-f can't be used when the input is a Dockerfile rather than a context archive");
                return new BuildInputs(context, null, whole);
            }
            if (file == "-")
            {
                if (!Console.IsInputRedirected) throw new CliException("-f - reads the Dockerfile from standard input, but it is a terminal");
                using var stdin = new StreamReader(Console.OpenStandardInput());
                return new BuildInputs(context, null, await stdin.ReadToEndAsync(ct));
            }
            var path = file is null ? Path.Combine(context.Directory, "Dockerfile")
                : context.IsRemote && !Path.IsPathRooted(file) && File.Exists(Path.Combine(context.Directory, file)) ? Path.Combine(context.Directory, file)
                : Path.GetFullPath(file);
            if (!File.Exists(path))
                throw new CliException($"failed to read dockerfile: open {(context.IsRemote && file is null ? "Dockerfile" : path)}: no such file or directory", ExitCodes.BuildFailed);
            return new BuildInputs(context, path, await File.ReadAllTextAsync(path, ct));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary><c>--allow</c> values (comma lists accepted), plus network.host when <c>--network host</c> is asked for, as buildx adds it.</summary>
    public static HashSet<string> Entitlements(IEnumerable<string> allow, string? network)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in allow.SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Frontend.Entitlements.All.Contains(value))
                throw new CliException($"invalid --allow \"{value}\": expected {string.Join(" or ", Frontend.Entitlements.All)}");
            result.Add(value);
        }
        if (string.Equals(network, "host", StringComparison.OrdinalIgnoreCase)) result.Add(Frontend.Entitlements.NetworkHost);
        return result;
    }
}
