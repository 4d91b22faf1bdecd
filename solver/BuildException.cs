namespace Csbuild.Solver;

/// <summary>A build failed for a reason the user can act on; Message is the one line to show.</summary>
public class BuildException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A step ran and failed (non-zero exit, bad COPY source…): exit code 1 territory, not infrastructure.</summary>
public sealed class StepFailedException(string vertexName, string message, Exception? inner = null)
    : BuildException($"{vertexName}: {message}", inner)
{
    public string VertexName { get; } = vertexName;
}
