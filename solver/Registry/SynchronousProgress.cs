namespace Csbuild.Solver.Registry;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its handler at once, on the reporting thread, one report at a time.
/// <see cref="Progress{T}"/> posts to the thread pool instead, which reorders lines written to a terminal.
/// </summary>
public sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    private readonly Lock _gate = new();

    public void Report(T value)
    {
        lock (_gate) handler(value);
    }
}
