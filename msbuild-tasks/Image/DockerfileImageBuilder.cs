using System.Diagnostics;
using Csbuild.Cache;
using Csbuild.Containers.Registry;
using Csbuild.Executor;
using Csbuild.Frontend;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;
using Csbuild.Solver;
using Csbuild.Solver.Export;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Registry;

namespace Csbuild.Containers.Image;

/// <summary>
/// ContainerDockerfile: the image is built from a Dockerfile of the project by the csbuild frontend and solver (the
/// same build as `csbuild build`, sharing its cache), with the publish directory as the build context, so that
/// <c>COPY . /app</c> copies the publish output. Tags, registry, archive and format are the Container* settings, as for
/// the layered path; ContainerLabel items are added like <c>--label</c>. The rest of the image config (ENTRYPOINT, ENV,
/// EXPOSE, USER) is the Dockerfile's. Without a RUN step nothing needs root or a container runtime; with one, both are
/// checked before anything is pulled (CSB010).
/// </summary>
public sealed class DockerfileImageBuilder(ContainerRequest request, Action<string> log)
{
    private readonly ImageOutputs _outputs = new(request, log);
    private readonly ContainerImageBuilder _single = new(request, log);

    public async Task<ContainerResult> BuildAsync(CancellationToken cancellationToken)
    {
        var dockerfile = request.Dockerfile ?? throw new InvalidOperationException("no Dockerfile in the request");
        if (!File.Exists(dockerfile))
            throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"ContainerDockerfile '{dockerfile}' does not exist");
        var context = Path.GetFullPath(request.PublishDirectory);
        if (!Directory.Exists(context) || !Directory.EnumerateFileSystemEntries(context).Any())
            throw new ContainerBuildException(ContainerDiagnostic.PublishOutputMissing, $"publish directory '{context}' is missing or empty; run Publish first");
        var platform = RuntimePlatform.ToPlatform(request.RuntimeIdentifier);
        var names = _single.Names();
        var format = _outputs.RequestedFormat();

        using var root = ContainerImageBuilder.OpenRoot(request);
        using var client = new RegistryClient(_outputs.ClientOptions(RegistryRole.Pull));
        var images = new RegistryImageResolver(root, client, new RegistryImageResolverOptions { DefaultPlatform = platform });
        var frontendRequest = new FrontendRequest
        {
            DockerfileText = await File.ReadAllTextAsync(dockerfile, cancellationToken).ConfigureAwait(false),
            DockerfileName = Path.GetFileName(dockerfile),
            BuildArgs = request.BuildArgs,
            Context = new LocalSource(context, DockerIgnore.Read(context, dockerfile)),
            Platform = platform,
            Labels = request.Labels.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal),
        };

        var clock = Stopwatch.StartNew();
        FrontendResult converted;
        try
        {
            converted = await DockerfileFrontend.ConvertWithWarningsAsync(frontendRequest, images, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerfileException e)
        {
            throw new ContainerBuildException(ContainerDiagnostic.DockerfileFailed, Located(dockerfile, e), e);
        }
        catch (Exception e) when (e is RegistryException or HttpRequestException or ImageNotFoundException or NotSupportedException)
        {
            throw new ContainerBuildException(ContainerDiagnostic.BaseImageUnavailable, $"{dockerfile}: cannot resolve a base image for {platform}: {e.Message}", e);
        }
        var runSteps = RunSteps(converted.Graph);
        if (runSteps.Count > 0) EnsureCanRun(runSteps);
        log($"{Path.GetFileName(dockerfile)} converted in {clock.ElapsedMilliseconds} ms: context {context}, {platform}, {runSteps.Count} RUN step(s)");

        var solveOptions = new SolveOptions
        {
            SourceDateEpoch = request.SourceDateEpoch,
            RuntimePath = request.OciRuntime,
        };
        var solver = new BuildSolver(root, converted.Graph, images, solveOptions, new LogProgressSink(log));
        ExportResult exported;
        try
        {
            var output = await solver.SolveAsync(cancellationToken).ConfigureAwait(false);
            exported = await new ImageExporter(root).ExportAsync(converted.Graph, solver, output, [], request.SourceDateEpoch,
                // Published (pushed or archived) as the SDK publishes: compressed layers.
                (ImageExportOptions.Default with { OciMediaTypes = format != "Docker" }).ForTransfer(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BuildException or ExecutorException)
        {
            throw new ContainerBuildException(ContainerDiagnostic.DockerfileFailed, $"{dockerfile}: {e.Message}", e);
        }
        catch (Exception e) when (e is RegistryException or HttpRequestException or ImageNotFoundException)
        {
            throw new ContainerBuildException(ContainerDiagnostic.BaseImageUnavailable, $"{dockerfile}: cannot pull a base image for {platform}: {e.Message}", e);
        }
        var descriptor = exported.Manifest;
        log($"image {descriptor.Digest} built from {Path.GetFileName(dockerfile)} in {clock.ElapsedMilliseconds} ms");

        var warnings = converted.Warnings.Select(w => (ContainerDiagnostic.DockerfileWarning, Located(dockerfile, w))).ToList();
        var manifestJson = root.Content.ReadAllBytes(Digest.Parse(descriptor.Digest));
        var configJson = root.Content.ReadAllBytes(exported.ConfigDigest);
        var published = await _single.PublishAsync(root, descriptor, names, cancellationToken).ConfigureAwait(false);
        return new ContainerResult(descriptor, manifestJson, configJson, names, [], published.ArchivePath, published.BlobsUploaded, warnings);
    }

    /// <summary>The RUN steps the target stage needs (mount sources are inputs too, so every vertex is reached).</summary>
    private static List<Vertex> RunSteps(BuildGraph graph)
    {
        var seen = new HashSet<Vertex>();
        var pending = new Stack<Vertex>([graph.Output]);
        var runs = new List<Vertex>();
        while (pending.TryPop(out var vertex))
        {
            if (!seen.Add(vertex)) continue;
            if (vertex.Op is ExecOp) runs.Add(vertex);
            foreach (var input in vertex.Inputs) pending.Push(input);
        }
        return runs;
    }

    /// <summary>RUN steps need a container: root (csbuild runs rootful containers) and the OCI runtime; say which is missing, and for which step.</summary>
    private void EnsureCanRun(List<Vertex> runSteps)
    {
        var first = runSteps.MinBy(v => v.Id)!.Name;
        var missing = new List<string>();
        if (!Oci.Native.Libc.IsRoot) missing.Add($"root (this build runs as uid {Oci.Native.Libc.geteuid()})");
        var runtime = string.IsNullOrWhiteSpace(request.OciRuntime) ? "runc" : request.OciRuntime.Trim();
        if (FindExecutable(runtime) is null) missing.Add($"the OCI runtime '{runtime}' (not found{(runtime.Contains('/') ? "" : " on PATH")})");
        if (missing.Count > 0)
            throw new ContainerBuildException(ContainerDiagnostic.RunStepsNeedRoot,
                $"ContainerDockerfile has {runSteps.Count} RUN step(s) (the first: {first}), which need {string.Join(" and ", missing)}");
    }

    private static string? FindExecutable(string name)
    {
        static bool Executable(string path) => File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        if (name.Contains('/')) return Executable(name) ? name : null;
        // As the executor searches: PATH, then the sbin directories that services' PATHs often lack.
        string[] fallback = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(fallback)
            .Select(directory => Path.Combine(directory, name)).FirstOrDefault(Executable);
    }

    /// <summary>FILE:LINE:COL with the Dockerfile's full path, so MSBuild users can jump to it.</summary>
    private static string Located(string dockerfile, DockerfileException e) =>
        $"{dockerfile}({e.Line},{e.Column}): {e.Detail}{(e.Hint is null ? "" : $" ({e.Hint})")}";

    private static string Located(string dockerfile, Frontend.Parsing.DockerfileWarning w) =>
        $"{dockerfile}({w.Line},{w.Column}): {w.Rule}: {w.Message}";
}
