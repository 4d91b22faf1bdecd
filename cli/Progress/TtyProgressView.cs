using System.Globalization;
using Csbuild.Solver.Progress;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Csbuild.Cli.Progress;

/// <summary>
/// The live terminal view (Spectre.Console): one line per step with its state and elapsed time, cached steps
/// dimmed, the last log lines under each running step. Redrawn ten times a second, left as a summary at the end.
/// </summary>
public sealed class TtyProgressView : IProgressDisplay, IProgressSink
{
    private const int LogLinesShown = 6;
    private readonly Lock _gate = new();
    private readonly List<StepState> _steps = [];
    private readonly Dictionary<int, StepState> _byVertex = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _renderLoop;
    private readonly IAnsiConsole _console;
    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;
    private DateTimeOffset? _end;
    private volatile bool _endedBadly;

    public TtyProgressView()
    {
        _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        _renderLoop = Task.Run(RenderAsync);
    }

    public IProgressSink Sink => this;

    public void Report(ProgressEvent e)
    {
        lock (_gate)
        {
            if (!_byVertex.TryGetValue(e.VertexId, out var step))
            {
                step = new StepState(_steps.Count + 1, e.VertexName, e.Time);
                _byVertex[e.VertexId] = step;
                _steps.Add(step);
            }
            switch (e)
            {
                case VertexStarted: step.State = "running"; step.Started = e.Time; break;
                case VertexCached: step.State = "cached"; step.Ended = e.Time; break;
                case VertexLog log:
                    step.Logs.Enqueue(log.Text);
                    while (step.Logs.Count > LogLinesShown) step.Logs.Dequeue();
                    break;
                case VertexBytes bytes: step.Transfer = $"{bytes.Action} {Units.Bytes(bytes.Current)}{(bytes.Total is { } t ? " / " + Units.Bytes(t) : "")}"; break;
                case VertexCompleted: step.State = "done"; step.Ended = e.Time; break;
                case VertexFailed failed: step.State = "error"; step.Ended = e.Time; step.Error = failed.Error; break;
            }
        }
    }

    public async Task CompleteAsync()
    {
        _finished.TrySetResult();
        await _renderLoop;
    }

    /// <summary>Disposed without <see cref="CompleteAsync"/>: the build failed or was cancelled, and the header says so.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_finished.Task.IsCompleted) _endedBadly = true;
        await CompleteAsync();
    }

    private async Task RenderAsync()
    {
        await _console.Live(Render()).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).StartAsync(async ctx =>
        {
            // Always draw once more after the build ends: a build that fails before the first tick must still
            // leave its final state (ERROR or FINISHED) on the screen.
            while (true)
            {
                var done = _finished.Task.IsCompleted;
                ctx.UpdateTarget(Render());
                ctx.Refresh();
                if (done) break;
                await Task.WhenAny(_finished.Task, Task.Delay(100));
            }
        });
    }

    private IRenderable Render()
    {
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            var rows = new List<IRenderable> { Header(now) };
            foreach (var step in _steps)
            {
                var elapsed = ((step.Ended ?? now) - step.Started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";
                var name = Markup.Escape(step.Name);
                rows.Add(step.State switch
                {
                    "cached" => new Markup($"[grey] => CACHED {name}[/]"),
                    "done" => new Markup($"[green] => {name}[/] [grey]{elapsed}[/]"),
                    "error" => new Markup($"[red] => ERROR {name}[/] [grey]{elapsed}[/]"),
                    _ => new Markup($"[yellow] => {name}[/] [grey]{elapsed}{(step.Transfer is null ? "" : " " + Markup.Escape(step.Transfer))}[/]"),
                });
                if (step.State == "running")
                    foreach (var line in step.Logs) rows.Add(new Markup($"[grey]    {Markup.Escape(Truncate(line))}[/]"));
                if (step.Error is { } error) rows.Add(new Markup($"[red]    {Markup.Escape(Truncate(error))}[/]"));
            }
            return new Rows(rows);
        }
    }

    /// <summary>
    /// buildx's header: "[+] Building 3.2s (4/7)" while running; at the end the time stops and FINISHED (or ERROR)
    /// tells a reader of the scrollback how the build ended.
    /// </summary>
    private Markup Header(DateTimeOffset now)
    {
        bool finished = _finished.Task.IsCompleted;
        if (finished) _end ??= now;
        var elapsed = ((_end ?? now) - _start).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        var counts = $"({_steps.Count(s => s.State is "done" or "cached")}/{_steps.Count})";
        var outcome = !finished ? "" : _endedBadly || _steps.Any(s => s.State == "error") ? " [red]ERROR[/]" : " [green]FINISHED[/]";
        return new Markup($"[bold][[+]] Building {elapsed}s {counts}[/]{outcome}");
    }

    private string Truncate(string line)
    {
        var width = Math.Max(20, _console.Profile.Width - 6);
        return line.Length <= width ? line : line[..(width - 1)] + "…";
    }

    private sealed class StepState(int number, string name, DateTimeOffset started)
    {
        public int Number { get; } = number;
        public string Name { get; } = name;
        public string State { get; set; } = "waiting";
        public DateTimeOffset Started { get; set; } = started;
        public DateTimeOffset? Ended { get; set; }
        public string? Error { get; set; }
        public string? Transfer { get; set; }
        public Queue<string> Logs { get; } = new();
    }
}
