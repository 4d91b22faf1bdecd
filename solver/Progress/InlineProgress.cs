namespace Csbuild.Solver.Progress;

/// <summary>An IProgress that calls its handler on the reporting thread, keeping log lines in order (Progress&lt;T&gt; does not).</summary>
public sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
