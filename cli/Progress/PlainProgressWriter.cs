using System.Globalization;
using Csbuild.Solver.Progress;

namespace Csbuild.Cli.Progress;

/// <summary>
/// BuildKit's plain progress format, for CI logs: <c>#N name</c> when a step starts, <c>#N 0.123 log</c> lines,
/// <c>#N CACHED</c> / <c>#N DONE 1.2s</c> / <c>#N ERROR: msg</c> when it ends.
/// </summary>
public sealed class PlainProgressWriter(TextWriter output) : IProgressDisplay, IProgressSink
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, (int Number, DateTimeOffset Started)> _numbers = new();

    public IProgressSink Sink => this;

    public void Report(ProgressEvent e)
    {
        lock (_gate)
        {
            if (!_numbers.TryGetValue(e.VertexId, out var entry))
            {
                entry = (_numbers.Count + 1, e.Time);
                _numbers[e.VertexId] = entry;
                output.WriteLine($"#{entry.Number} {e.VertexName}");
            }
            var n = entry.Number;
            switch (e)
            {
                case VertexCached:
                    output.WriteLine($"#{n} CACHED");
                    output.WriteLine();
                    break;
                case VertexLog log:
                    var offset = (log.Time - entry.Started).TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
                    output.WriteLine($"#{n} {offset} {log.Text}");
                    break;
                case VertexBytes bytes:
                    output.WriteLine($"#{n} {bytes.Action} {Units.Bytes(bytes.Current)}{(bytes.Total is { } t ? " / " + Units.Bytes(t) : "")}");
                    break;
                case VertexCompleted done:
                    output.WriteLine($"#{n} DONE {done.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s");
                    output.WriteLine();
                    break;
                case VertexFailed failed:
                    output.WriteLine($"#{n} ERROR: {failed.Error}");
                    output.WriteLine();
                    break;
            }
            output.Flush();
        }
    }

    public Task CompleteAsync() => Task.CompletedTask;
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
