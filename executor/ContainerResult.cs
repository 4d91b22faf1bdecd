namespace Csbuild.Executor;

/// <summary>How a step's container ended.</summary>
/// <param name="ExitCode">The process' exit status; 128+N when killed by signal N.</param>
/// <param name="OomKilled">
/// Whether the kernel's OOM killer killed a process of the step (its memory limit was exceeded). Only detected
/// when a memory limit was set. A step may survive the loss of a child process, so this alone is not a failure.
/// </param>
/// <param name="Duration">From the start of the mount to the end of the cleanup.</param>
/// <param name="Message">A human explanation of the failure (e.g. the memory limit), or null.</param>
public sealed record ContainerResult(int ExitCode, bool OomKilled, TimeSpan Duration, string? Message = null)
{
    public bool Succeeded => ExitCode == 0;
}
