using Csbuild.Solver.Progress;

namespace Csbuild.Cli.Progress;

public enum ProgressMode { Auto, Tty, Plain, RawJson, Quiet }

/// <summary>A progress display: receives solver events, and finishes its output when the build ends.</summary>
public interface IProgressDisplay : IAsyncDisposable
{
    IProgressSink Sink { get; }
    Task CompleteAsync();
}

public static class ProgressModes
{
    public static ProgressMode Parse(string text) => text.ToLowerInvariant() switch
    {
        "auto" => ProgressMode.Auto,
        "tty" => ProgressMode.Tty,
        "plain" => ProgressMode.Plain,
        "rawjson" => ProgressMode.RawJson,
        "quiet" or "none" => ProgressMode.Quiet,
        _ => throw new CliException($"invalid --progress '{text}': expected auto, tty, plain, rawjson or quiet"),
    };

    public static IProgressDisplay CreateSink(ProgressMode mode, TextWriter output)
    {
        if (mode == ProgressMode.Auto)
            mode = Console.IsErrorRedirected || Environment.GetEnvironmentVariable("CI") is { Length: > 0 } ? ProgressMode.Plain : ProgressMode.Tty;
        return mode switch
        {
            ProgressMode.Plain => new PlainProgressWriter(output),
            ProgressMode.RawJson => new RawJsonProgressWriter(output),
            ProgressMode.Tty => new TtyProgressView(),
            _ => new QuietProgress(),
        };
    }

    private sealed class QuietProgress : IProgressDisplay
    {
        public IProgressSink Sink => NullProgressSink.Instance;
        public Task CompleteAsync() => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
