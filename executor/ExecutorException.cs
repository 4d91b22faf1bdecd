namespace Csbuild.Executor;

/// <summary>A RUN step could not be executed (as opposed to running and exiting non-zero).</summary>
public sealed class ExecutorException : Exception
{
    public ExecutorException(string message) : base(message) { }
    public ExecutorException(string message, Exception inner) : base(message, inner) { }
}
