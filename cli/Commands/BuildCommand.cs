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
        var call = CallMode.Parse(parse.GetValue(o.Call), parse.GetValue(o.Check));
        var entitlements = Context.BuildInputs.Entitlements(parse.GetValue(o.Allow) ?? [], parse.GetValue(o.Network));
        using var root = CommonOptions.OpenRoot(parse);
        // The context may be a directory, stdin, a git or tarball URL: fetched into the root's temp directory.
        using var inputs = await Context.BuildInputs.LoadAsync(parse.GetValue(o.Context), parse.GetValue(o.File), root.TempDirectory, ct);
        var contextDir = inputs.ContextDirectory;
        var dockerfileText = inputs.DockerfileText;
        var tags = parse.GetValue(o.Tags) ?? [];
        foreach (var tag in tags) ValidateName(tag, "tag");
        var outputs = ParseOutputs(parse, o, tags);
        var cacheImports = BuildCacheFlags.ParseImports(parse.GetValue(o.CacheFrom) ?? []);
        var cacheExports = BuildCacheFlags.ParseExports(parse.GetValue(o.CacheTo) ?? []);
        if (cacheExports.Any(c => c.Kind == Solver.RemoteCache.CacheStoreKind.Inline))
        {
            if (!outputs.Any(s => s.WritesImage)) throw new CliException("--cache-to type=inline needs an image output (the cache goes into the image's config)");
            outputs = outputs.Select(s => s.WritesImage ? s with { Image = s.Image with { InlineCache = true } } : s).ToList();
        }

        var quiet = parse.GetValue(o.Quiet);
        var mode = ProgressModes.Parse(quiet ? "quiet" : parse.GetValue(o.Progress) ?? "auto");
        var sourceDateEpoch = SourceDateEpoch(parse, o);
        await using var progress = ProgressModes.CreateSink(mode, Console.Error);

        var config = Config.CsbuildConfig.Load();
        using var registryClient = RegistryCommandSupport.CreateClient(parse.GetValue(o.InsecureRegistries) ?? [], config);
        var registryImages = new RegistryImageResolver(root, registryClient, new RegistryImageResolverOptions
        {
            AlwaysPull = parse.GetValue(o.Pull),
            DefaultPlatform = parse.GetValue(o.Platform) ?? Solver.PlatformSpec.Host,
        });
        var images = new Context.NamedContextResolver(registryImages, root);
        using var namedContexts = await Context.BuildContexts.ParseAsync(parse.GetValue(o.BuildContexts) ?? [], root, images,
            parse.GetValue(o.Platform) ?? Solver.PlatformSpec.Host, ct);
        var request = new FrontendRequest
        {
            DockerfileText = dockerfileText,
            DockerfileName = inputs.DockerfileName,
            BuildArgs = ParseBuildArgs(parse.GetValue(o.BuildArgs) ?? []),
            Target = parse.GetValue(o.Target),
            Context = new LocalSource(contextDir, DockerIgnore.Read(contextDir, inputs.DockerfilePath)),
            NamedContexts = namedContexts.Contexts,
            AllowedEntitlements = entitlements,
            NoCache = parse.GetValue(o.NoCache),
            NoCacheFilter = parse.GetValue(o.NoCacheFilter) ?? [],
            Platform = parse.GetValue(o.Platform) ?? Solver.PlatformSpec.Host,
            Labels = ParsePairs(parse.GetValue(o.Labels) ?? [], "--label"),
        };
        switch (call.Method)
        {
            case "check": return await CheckOnlyAsync(request, images, ct);
            case "outline":
                Console.Out.Write(CallMode.FormatOutline(DockerfileFrontend.Outline(request), call.Json));
                return ExitCodes.Ok;
            case "targets":
                Console.Out.Write(CallMode.FormatTargets(DockerfileFrontend.Targets(request.DockerfileText, request.DockerfileName), call.Json));
                return ExitCodes.Ok;
        }
        var converted = await DockerfileFrontend.ConvertWithWarningsAsync(request, images, ct);
        var cacheWarnings = new List<string>();
        var cacheImport = await BuildCacheFlags.LoadAsync(cacheImports, registryClient, request.Platform, cacheWarnings, ct);
        var graph = converted.Graph;

        var solveOptions = new SolveOptions
        {
            Jobs = parse.GetValue(o.Jobs) ?? Environment.ProcessorCount,
            RuntimePath = parse.GetValue(o.Runtime) ?? config.Runtime.Value,
            SourceDateEpoch = sourceDateEpoch,
            Secrets = RunStepFlags.ParseSecrets(parse.GetValue(o.Secrets) ?? []),
            SshAgents = RunStepFlags.ParseSsh(parse.GetValue(o.Ssh) ?? []),
            Network = RunStepFlags.ParseNetwork(parse.GetValue(o.Network)),
            MemoryBytes = RunStepFlags.ParseMemory(parse.GetValue(o.Memory)),
            CpuQuota = RunStepFlags.ParseCpuQuota(parse.GetValue(o.CpuQuota), parse.GetValue(o.Cpus)),
            PidsLimit = RunStepFlags.ParsePidsLimit(parse.GetValue(o.PidsLimit)),
            CacheImport = cacheImport,
        };
        var solver = new BuildSolver(root, graph, images, solveOptions, progress.Sink);
        var output = await solver.SolveAsync(ct);
        var exported = await WriteOutputsAsync(outputs, root, graph, solver, output, solveOptions, registryClient, tags, ct);
        await progress.CompleteAsync();
        await BuildCacheFlags.ExportAsync(cacheExports, root, graph, solver, registryClient, cacheWarnings, ct);
        foreach (var warning in converted.Warnings) Console.Error.WriteLine(warning);
        foreach (var warning in cacheWarnings) Console.Error.WriteLine(warning);
        // Keep the root under its budget (10% of the filesystem, at most 20 GB; CSBUILD_GC_BUDGET); tagged images stay.
        Cache.Gc.CacheGc.RunAutomatic(root);

        var first = exported.FirstOrDefault();
        if (parse.GetValue(o.MetadataFile) is { } metadataFile)
            await File.WriteAllBytesAsync(metadataFile, BuildMetadata.Serialize(first.Result, first.Names ?? []), ct);
        if (first.Result is null) return ExitCodes.Ok;
        var id = first.Result.Manifest.Digest;
        if (parse.GetValue(o.IidFile) is { } iidFile) await File.WriteAllTextAsync(iidFile, id, ct);
        if (quiet)
        {
            Console.Out.WriteLine(id);
        }
        else
        {
            Console.Error.WriteLine($"writing image {id} done");
            foreach (var (spec, _, names) in exported)
                if (spec.Kind is OutputKind.Image or OutputKind.Registry)
                    foreach (var name in names) Console.Error.WriteLine($"naming to {Cache.Images.ImageName.Normalize(name)} done");
        }
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The outputs of this build: each <c>--output</c>, or the local image store when none is given; <c>--push</c>
    /// adds pushing to the image output (or a registry output), as buildx's shorthand does.
    /// </summary>
    private static List<OutputSpec> ParseOutputs(ParseResult parse, BuildOptions o, IReadOnlyList<string> tags)
    {
        var ociDefault = parse.GetValue(o.OciMediaTypes);
        var outputs = new List<OutputSpec>();
        foreach (var text in parse.GetValue(o.Outputs) ?? [])
        {
            try { outputs.Add(OutputSpec.Parse(text, ociDefault)); }
            catch (FormatException e) { throw new CliException(e.Message); }
        }
        if (outputs.Count == 0)
            outputs.Add(new OutputSpec { Kind = OutputKind.Image, Image = ImageExportOptions.Default with { OciMediaTypes = ociDefault ?? true } });
        if (parse.GetValue(o.Push))
        {
            var index = outputs.FindIndex(s => s.Kind is OutputKind.Image or OutputKind.Registry);
            if (index >= 0) outputs[index] = outputs[index] with { Push = true };
            else outputs.Add(new OutputSpec { Kind = OutputKind.Registry, Push = true, Image = ImageExportOptions.Default with { OciMediaTypes = ociDefault ?? true } });
        }
        foreach (var spec in outputs)
        {
            foreach (var name in spec.Names) ValidateName(name, "name");
            if (spec.Push && spec.Names.Count == 0 && tags.Count == 0)
                throw new CliException("pushing needs at least one --tag (or name=) naming the registry repository");
        }
        if (outputs.Count(s => s.Destination == "-") > 1) throw new CliException("only one --output can write to standard output");
        return outputs;
    }

    private static void ValidateName(string name, string what)
    {
        try { Cache.Images.ImageName.Normalize(name); }
        catch (FormatException e) { throw new CliException($"invalid {what} \"{name}\": {e.Message}"); }
    }

    private static async Task<List<(OutputSpec Spec, ExportResult? Result, IReadOnlyList<string> Names)>> WriteOutputsAsync(
        List<OutputSpec> outputs, Cache.CsbuildRoot root, BuildGraph graph, BuildSolver solver, SolvedRef output, SolveOptions solveOptions,
        RegistryClient registryClient, IReadOnlyList<string> tags, CancellationToken ct)
    {
        var exporter = new ImageExporter(root);
        var images = new Dictionary<ImageExportOptions, ExportResult>();
        var results = new List<(OutputSpec, ExportResult?, IReadOnlyList<string>)>();
        foreach (var spec in outputs)
        {
            var names = spec.Names.Count > 0 ? spec.Names : tags;
            if (!spec.WritesImage)
            {
                var files = new FilesystemExporter(root, solveOptions);
                if (spec.Kind == OutputKind.Local)
                    files.ExportDirectory(output, spec.Destination!, ct);
                else
                    await WriteFileAsync(spec.Destination!, stream => files.ExportTar(output, stream, ct), ct);
                results.Add((spec, null, names));
                continue;
            }

            if (!images.TryGetValue(spec.ExportOptions, out var image))
            {
                image = await exporter.ExportAsync(graph, solver, output, [], solveOptions.SourceDateEpoch, spec.ExportOptions, ct);
                images[spec.ExportOptions] = image;
            }
            switch (spec.Kind)
            {
                case OutputKind.Image or OutputKind.Registry:
                    var descriptor = image.Manifest;
                    foreach (var name in names) root.Images.Tag(name, descriptor);
                    break;
                case OutputKind.Oci or OutputKind.Docker:
                    var kind = spec.Kind == OutputKind.Oci ? Oci.Layout.ImageArchiveKind.Oci : Oci.Layout.ImageArchiveKind.Docker;
                    await WriteFileAsync(spec.Destination!, stream => ImageArchives.WriteBuildResult(root, image, names, stream, kind, solveOptions.SourceDateEpoch), ct);
                    break;
            }
            if (spec.Push)
            {
                foreach (var name in names)
                {
                    var pushed = await ImagePusher.PushAsync(root, name, ImageReference.Parse(name), registryClient, null, ct);
                    Console.Error.WriteLine($"pushing {name} done: {pushed.Digest}");
                }
            }
            results.Add((spec, image, names));
        }
        // The image outputs come first: iidfile and metadata describe the image, as buildx does.
        return results.OrderBy(r => r.Item2 is null ? 1 : 0).ToList();
    }

    /// <summary>Writes a file output through a temp file renamed into place (so a failed build leaves no half file), or to stdout for "-".</summary>
    private static async Task WriteFileAsync(string destination, Action<Stream> write, CancellationToken ct)
    {
        if (destination == "-")
        {
            await using var stdout = Console.OpenStandardOutput();
            await using var buffered = new BufferedStream(stdout, 1 << 20);
            await Task.Run(() => write(buffered), ct);
            await buffered.FlushAsync(ct);
            return;
        }
        var full = Path.GetFullPath(destination);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "." + Path.GetFileName(full) + ".tmp-" + Environment.ProcessId);
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                await Task.Run(() => write(file), ct);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
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

    /// <summary>
    /// <c>--check</c> (buildx's <c>--call=check</c>): evaluates the build checks without building; warnings go to
    /// stdout as FILE:LINE:COL lines, and any warning makes the exit code 1, so CI can gate on it.
    /// </summary>
    private static async Task<int> CheckOnlyAsync(FrontendRequest request, Solver.Graph.IImageResolver images, CancellationToken ct)
    {
        var report = await DockerfileFrontend.CheckAsync(request, images, ct);
        foreach (var warning in report.Warnings) Console.Out.WriteLine(warning);
        Console.Out.WriteLine(report.Warnings.Count == 0
            ? "Check complete, no warnings found."
            : $"Check complete, {report.Warnings.Count} warning{(report.Warnings.Count == 1 ? " has" : "s have")} been found!");
        return report.Warnings.Count == 0 ? ExitCodes.Ok : ExitCodes.BuildFailed;
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
