using System.Diagnostics;

namespace Csbuild.Oci.Tests.Support;

/// <summary>Runs the independent tools (tar, gzip, zstd, sha256sum) the tests check our output against.</summary>
public static class ExternalTool
{
    /// <summary>Runs a program and returns its stdout; a non-zero exit fails with stderr in the message.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // UTF-8 names printed as they are, times in UTC, whatever the machine's locale
        start.Environment["LC_ALL"] = "C.UTF-8";
        start.Environment["TZ"] = "UTC";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stderrTask = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string stderr = stderrTask.Result;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {stderr}");
        return stdout;
    }

    /// <summary>Runs a shell pipeline; "$1", "$2"… in <paramref name="script"/> refer to <paramref name="arguments"/>.</summary>
    public static string Shell(string script, params string[] arguments) => Run("sh", ["-c", script, "sh", .. arguments]);

    /// <summary>"sha256:…" of what a pipeline prints through sha256sum.</summary>
    public static string Sha256Of(string pipelineProducingBytes, params string[] arguments) =>
        "sha256:" + Shell(pipelineProducingBytes + " | sha256sum", arguments).Split(' ')[0];
}
