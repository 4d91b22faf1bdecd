using System.Text.Json;
using Csbuild.Solver.Progress;

namespace Csbuild.Cli.Progress;

/// <summary>One JSON object per event and line, for tools: {"time","vertex","name","event",...}.</summary>
public sealed class RawJsonProgressWriter(TextWriter output) : IProgressDisplay, IProgressSink
{
    private readonly Lock _gate = new();

    public IProgressSink Sink => this;

    public void Report(ProgressEvent e)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", e.Time.ToString("O"));
            json.WriteNumber("vertex", e.VertexId);
            json.WriteString("name", e.VertexName);
            switch (e)
            {
                case VertexStarted: json.WriteString("event", "started"); break;
                case VertexCached: json.WriteString("event", "cached"); break;
                case VertexLog log:
                    json.WriteString("event", "log");
                    json.WriteNumber("stream", log.Stream);
                    json.WriteString("text", log.Text);
                    break;
                case VertexBytes bytes:
                    json.WriteString("event", "bytes");
                    json.WriteString("action", bytes.Action);
                    json.WriteNumber("current", bytes.Current);
                    if (bytes.Total is { } total) json.WriteNumber("total", total);
                    break;
                case VertexCompleted done:
                    json.WriteString("event", "done");
                    json.WriteNumber("durationSeconds", done.Duration.TotalSeconds);
                    break;
                case VertexFailed failed:
                    json.WriteString("event", "error");
                    json.WriteString("error", failed.Error);
                    break;
            }
            json.WriteEndObject();
        }
        var line = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        lock (_gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    public Task CompleteAsync() => Task.CompletedTask;
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
