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

    public async Task<string?> RunAsync(Vertex vertex, ExecOp op, string? baseChainId, CancellationToken ct)
    {
        var lowerDirs = layers.Directories(baseChainId).Reverse().ToList();
        using var snapshot = root.Snapshots.Begin();
        var bundleDir = Cache.StaleFiles.NewPath(root.TempDirectory, "run");
        Directory.CreateDirectory(bundleDir);
        try
        {
            var output = new InlineProgress<OutputLine>(line =>
                progress.Report(new VertexLog(vertex.Id, vertex.Name, line.Timestamp, line.Stream == OutputStream.Stderr ? 2 : 1, line.Text)));
            var result = await _runner.RunAsync(new ContainerRequest
            {
                LowerDirs = lowerDirs,
                UpperDir = snapshot.FsPath,
                OverlayWorkDir = snapshot.WorkPath,
                TempDirectory = bundleDir,
                Args = op.Args,
                Env = op.Env,
                User = op.User,
                WorkingDir = op.WorkingDir,
                Network = op.Network == NetworkMode.None ? ContainerNetwork.None : ContainerNetwork.Host,
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
        }
        catch (ExecutorException e)
        {
            throw new StepFailedException(vertex.Name, e.Message, e);
        }
        finally
        {
            // Never delete through a mount that failed to come off: that would delete inside the layers.
            if (!MountTable.HasMountUnder(bundleDir)) Cache.StaleFiles.DeleteTree(bundleDir);
        }
        return await Task.Run(() => layers.Commit(baseChainId, snapshot, null), ct);
    }
}
