using System.CommandLine;
using Csbuild.Cli.Progress;
using Csbuild.Frontend;
using Csbuild.Oci.Registry;
using Csbuild.Solver.Registry;
using Csbuild.Solver;
using Csbuild.Solver.Export;
using Csbuild.Solver.Graph;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild [build] [OPTIONS] PATH</c>: Dockerfile → graph → solve → image in the local store.</summary>
internal static class BuildCommand
{
    public static Command Create(string name, string description)
    {
        var command = new Command(name, description);
        Configure(command);
        return command;
    }

    /// <summary>Adds the build flags and action to a command (the root command builds too, as <c>docker build</c> users expect).</summary>
    public static void Configure(Command command)
    {
        var options = new BuildOptions();
        options.AddTo(command);
        command.SetAction((parse, ct) => CommandErrors.Run(() => RunAsync(parse, options, ct)));
    }

    private static async Task<int> RunAsync(ParseResult parse, BuildOptions o, CancellationToken ct)
    {
        var contextArg = parse.GetValue(o.Context);
        if (contextArg is null)
            throw new CliException("'csbuild build' requires exactly 1 argument: the build context (e.g. 'csbuild -t app:1 .')");
        var contextDir = Path.GetFullPath(contextArg);
        if (!Directory.Exists(contextDir))
            throw new CliException($"unable to prepare context: path \"{contextArg}\" not found");
        var dockerfilePath = parse.GetValue(o.File) is { } f ? Path.GetFullPath(f) : Path.Combine(contextDir, "Dockerfile");
        if (!File.Exists(dockerfilePath))
            throw new CliException($"failed to read dockerfile: open {dockerfilePath}: no such file or directory", ExitCodes.BuildFailed);
        var dockerfileText = await File.ReadAllTextAsync(dockerfilePath, ct);
        var tags = parse.GetValue(o.Tags) ?? [];
        foreach (var tag in tags)
        {
            try { Cache.Images.ImageName.Normalize(tag); }
            catch (FormatException e) { throw new CliException($"invalid tag \"{tag}\": {e.Message}"); }
        }

        var quiet = parse.GetValue(o.Quiet);
        var mode = ProgressModes.Parse(quiet ? "quiet" : parse.GetValue(o.Progress) ?? "auto");
        using var root = CommonOptions.OpenRoot(parse);
        var sourceDateEpoch = SourceDateEpoch(parse, o);
        await using var progress = ProgressModes.CreateSink(mode, Console.Error);

        using var registryClient = new RegistryClient(new RegistryOptions { InsecureRegistries = parse.GetValue(o.InsecureRegistries) ?? [] });
        var images = new RegistryImageResolver(root, registryClient, new RegistryImageResolverOptions
        {
            AlwaysPull = parse.GetValue(o.Pull),
            DefaultPlatform = parse.GetValue(o.Platform) ?? Solver.PlatformSpec.Host,
        });
        var request = new FrontendRequest
        {
            DockerfileText = dockerfileText,
            DockerfileName = Path.GetFileName(dockerfilePath),
            BuildArgs = ParseBuildArgs(parse.GetValue(o.BuildArgs) ?? []),
            Target = parse.GetValue(o.Target),
            Context = new LocalSource(contextDir, DockerIgnore.Read(contextDir, dockerfilePath)),
            NoCache = parse.GetValue(o.NoCache),
            NoCacheFilter = parse.GetValue(o.NoCacheFilter) ?? [],
            Platform = parse.GetValue(o.Platform) ?? Solver.PlatformSpec.Host,
            Labels = ParsePairs(parse.GetValue(o.Labels) ?? [], "--label"),
        };
        var graph = await DockerfileFrontend.ConvertAsync(request, images, ct);

        var solveOptions = new SolveOptions
        {
            Jobs = parse.GetValue(o.Jobs) ?? Environment.ProcessorCount,
            RuntimePath = parse.GetValue(o.Runtime),
            SourceDateEpoch = sourceDateEpoch,
        };
        var solver = new BuildSolver(root, graph, images, solveOptions, progress.Sink);
        var output = await solver.SolveAsync(ct);
        var result = await new ImageExporter(root).ExportAsync(graph, solver, output, tags, sourceDateEpoch, ct);
        await progress.CompleteAsync();
        if (parse.GetValue(o.Push))
        {
            if (tags.Length == 0) throw new CliException("--push needs at least one --tag naming the registry repository");
            foreach (var tag in tags)
            {
                var pushed = await ImagePusher.PushAsync(root, tag, ImageReference.Parse(tag), registryClient, null, ct);
                Console.Error.WriteLine($"pushing {tag} done: {pushed.Digest}");
            }
        }

        var id = result.Manifest.Digest;
        if (parse.GetValue(o.IidFile) is { } iidFile) await File.WriteAllTextAsync(iidFile, id, ct);
        if (quiet)
        {
            Console.Out.WriteLine(id);
        }
        else
        {
            Console.Error.WriteLine($"writing image {id} done");
            foreach (var tag in tags) Console.Error.WriteLine($"naming to {Cache.Images.ImageName.Normalize(tag)} done");
        }
        return ExitCodes.Ok;
    }

    private static DateTimeOffset? SourceDateEpoch(ParseResult parse, BuildOptions o)
    {
        var fromArgs = (parse.GetValue(o.BuildArgs) ?? []).Select(a => a.Split('=', 2)).FirstOrDefault(p => p[0] == "SOURCE_DATE_EPOCH" && p.Length == 2)?[1];
        var text = fromArgs ?? Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        if (string.IsNullOrEmpty(text)) return null;
        return long.TryParse(text, out var seconds) && seconds >= 0
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw new CliException($"invalid SOURCE_DATE_EPOCH '{text}': expected whole seconds since 1970");
    }

    /// <summary><c>--build-arg NAME=VALUE</c>, or <c>--build-arg NAME</c> taking the value from the environment (skipped if unset), as docker does.</summary>
    internal static Dictionary<string, string> ParseBuildArgs(IEnumerable<string> values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var eq = value.IndexOf('=');
            if (eq == 0) throw new CliException($"invalid --build-arg '{value}': missing name");
            if (eq < 0)
            {
                if (Environment.GetEnvironmentVariable(value) is { } fromEnv) result[value] = fromEnv;
                continue;
            }
            result[value[..eq]] = value[(eq + 1)..];
        }
        return result;
    }

    private static Dictionary<string, string> ParsePairs(IEnumerable<string> values, string flag)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var eq = value.IndexOf('=');
            if (eq <= 0) throw new CliException($"invalid {flag} '{value}': expected KEY=VALUE");
            result[value[..eq]] = value[(eq + 1)..];
        }
        return result;
    }
}
