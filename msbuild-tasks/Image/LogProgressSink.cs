using Csbuild.Solver.Progress;

namespace Csbuild.Containers.Image;

/// <summary>
/// The solver's progress as MSBuild message lines (normal verbosity): each step when it starts, is cached, finishes
/// or fails, and the output of RUN steps, as `csbuild build --progress=plain` prints them.
/// </summary>
internal sealed class LogProgressSink(Action<string> log) : IProgressSink
{
    private readonly Lock _lock = new();

    public void Report(ProgressEvent e)
    {
        var line = e switch
        {
            VertexStarted => e.VertexName,
            VertexCached => $"{e.VertexName}: CACHED",
            VertexCompleted c => $"{e.VertexName}: DONE {c.Duration.TotalSeconds:0.0}s",
            VertexFailed f => $"{e.VertexName}: ERROR {f.Error}",
            VertexLog l => $"{e.VertexName}: {l.Text.TrimEnd('\n', '\r')}",
            _ => null,
        };
        if (line is null) return;
        lock (_lock) log(line);
    }
}
