using Csbuild.Cache;
using Csbuild.Executor;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Native;
using Csbuild.Solver.Progress;

namespace Csbuild.Solver.Ops;

/// <summary>A RUN step: the input chain as overlay lower dirs, a fresh snapshot as the upper dir, the OCI runtime in between.</summary>
internal sealed class ExecRunner(CsbuildRoot root, LayerStack layers, SolveOptions options, IProgressSink progress)
{
    private readonly ContainerRunner _runner = new(new ContainerRunnerOptions { RuntimePath = options.RuntimePath });
    private readonly CacheMounts _caches = new(root, options.CacheImport);

    /// <param name="inputs">The solved inputs: 0 is the base filesystem, the rest are sources of the step's mounts.</param>
    public async Task<string?> RunAsync(Vertex vertex, ExecOp op, string? baseChainId, IReadOnlyList<SolvedRef> inputs, CancellationToken ct)
    {
        var lowerDirs = layers.Directories(baseChainId).Reverse().ToList();
        using var snapshot = root.Snapshots.Begin();
        var bundleDir = Cache.StaleFiles.NewPath(root.TempDirectory, "run");
        Directory.CreateDirectory(bundleDir);
        var mounts = new StepMounts(root, layers, _caches, options, bundleDir);
        var failed = true;
        try
        {
            await mounts.PrepareAsync(vertex, op, inputs, ct);
            var output = new InlineProgress<OutputLine>(line =>
                progress.Report(new VertexLog(vertex.Id, vertex.Name, line.Timestamp, line.Stream == OutputStream.Stderr ? 2 : 1, line.Text)));
            var result = await _runner.RunAsync(new ContainerRequest
            {
                LowerDirs = lowerDirs,
                UpperDir = snapshot.FsPath,
                OverlayWorkDir = snapshot.WorkPath,
                TempDirectory = bundleDir,
                Args = op.Args,
                Env = WithStepEnv(WithProxyEnv(op.Env, op.ProxyEnv), mounts.Env),
                User = op.User,
                WorkingDir = op.WorkingDir,
                Network = (op.Network == NetworkMode.Default ? options.Network : op.Network) == NetworkMode.None
                    ? ContainerNetwork.None : ContainerNetwork.Host,
                Mounts = mounts.Mounts,
                Hostname = op.Hostname,
                MemoryBytes = options.MemoryBytes,
                PidsLimit = options.PidsLimit,
                CpuQuota = options.CpuQuota,
            }, output, ct);
            if (result.ExitCode != 0)
            {
                // A process the OOM killer hit inside a surviving step is not a failure by itself; an exit is.
                var why = result.OomKilled ? result.Message ?? "the step exceeded its memory limit" : result.Message;
                throw new StepFailedException(vertex.Name,
                    $"process \"{string.Join(' ', op.Args)}\" did not complete successfully: exit code: {result.ExitCode}{(why is null ? "" : " (" + why + ")")}");
            }
            failed = false;
        }
        catch (ExecutorException e)
        {
            throw new StepFailedException(vertex.Name, e.Message, e);
        }
        finally
        {
            try
            {
                await mounts.DisposeAsync();
            }
            catch (BuildException) when (failed)
            {
                // The step's own error is the one to report.
            }
            // Never delete through a mount that failed to come off: that would delete inside the layers.
            if (!MountTable.HasMountUnder(bundleDir)) Cache.StaleFiles.DeleteTree(bundleDir);
        }
        return await Task.Run(() => layers.Commit(vertex, baseChainId, snapshot, null), ct);
    }

    /// <summary>The proxy variables the op's own environment does not set (a declared ARG of the same name wins).</summary>
    internal static IReadOnlyList<string> WithProxyEnv(IReadOnlyList<string> env, IReadOnlyList<string> proxy)
    {
        if (proxy.Count == 0) return env;
        var names = env.Select(e => e[..(e.IndexOf('=') + 1)]).ToHashSet(StringComparer.Ordinal);
        return [.. env, .. proxy.Where(p => !names.Contains(p[..(p.IndexOf('=') + 1)]))];
    }

    /// <summary>The op's environment with the step-only variables (secrets, SSH_AUTH_SOCK) replacing any of the same name.</summary>
    private static IReadOnlyList<string> WithStepEnv(IReadOnlyList<string> env, List<string> extra)
    {
        if (extra.Count == 0) return env;
        var names = extra.Select(e => e[..(e.IndexOf('=') + 1)]).ToHashSet(StringComparer.Ordinal);
        return [.. env.Where(e => !names.Any(n => e.StartsWith(n, StringComparison.Ordinal))), .. extra];
    }
}
