using System.Diagnostics;

namespace Csbuild.Solver.Sources;

/// <summary>Runs the <c>git</c> command line non-interactively (no credential prompts), capturing its output.</summary>
internal static class GitCli
{
    public static async Task<string> RunAsync(string? workingDirectory, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // A build must fail rather than wait for a password nobody will type.
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_ASKPASS"] = "true";
        start.Environment["LC_ALL"] = "C";

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new BuildException("could not start git");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BuildException($"ADD of a git repository needs the git command line, which could not be started: {e.Message}");
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            try
            {
                await process.WaitForExitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            var output = await stdout;
            var errors = (await stderr).Trim();
            if (process.ExitCode != 0)
                throw new BuildException($"git {args[0]} failed (exit code {process.ExitCode}): {(errors.Length > 0 ? errors : output.Trim())}");
            return output;
        }
    }
}
