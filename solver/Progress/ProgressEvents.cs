namespace Csbuild.Solver.Progress;

/// <summary>What happens to a vertex during a solve, in the order a user should see it.</summary>
public abstract record ProgressEvent(int VertexId, string VertexName, DateTimeOffset Time);

public sealed record VertexStarted(int VertexId, string VertexName, DateTimeOffset Time) : ProgressEvent(VertexId, VertexName, Time);

public sealed record VertexCached(int VertexId, string VertexName, DateTimeOffset Time) : ProgressEvent(VertexId, VertexName, Time);

public sealed record VertexLog(int VertexId, string VertexName, DateTimeOffset Time, int Stream, string Text) : ProgressEvent(VertexId, VertexName, Time);

/// <summary>Bytes moved for a vertex (unpacking, compressing, pulling, pushing); Total is null when unknown.</summary>
public sealed record VertexBytes(int VertexId, string VertexName, DateTimeOffset Time, string Action, long Current, long? Total) : ProgressEvent(VertexId, VertexName, Time);

public sealed record VertexCompleted(int VertexId, string VertexName, DateTimeOffset Time, TimeSpan Duration) : ProgressEvent(VertexId, VertexName, Time);

public sealed record VertexFailed(int VertexId, string VertexName, DateTimeOffset Time, string Error) : ProgressEvent(VertexId, VertexName, Time);

/// <summary>Receives progress events; implementations must be thread-safe (vertices run in parallel).</summary>
public interface IProgressSink
{
    void Report(ProgressEvent e);
}

public sealed class NullProgressSink : IProgressSink
{
    public static readonly NullProgressSink Instance = new();
    public void Report(ProgressEvent e) { }
}
