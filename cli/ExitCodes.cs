namespace Csbuild.Cli;

/// <summary>Exit codes, as documented in the README: scripts tell a failed build from a broken setup.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int BuildFailed = 1;
    public const int Usage = 2;
    public const int Infrastructure = 3;
}

/// <summary>An error whose message is the one line to print, with the exit code to return.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Usage) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
