using System.Diagnostics;
using System.Text;
using Csbuild.TestSupport;

namespace Csbuild.Hardening.Support;

/// <summary>Runs the real csbuild program (<see cref="CsbuildExecutable"/>) as a child process, as a user would.</summary>
public static class CsbuildProgram
{
    public static ProcessResult Run(string root, params string[] args) => Run(root, null, args);

    public static ProcessResult Run(string root, IDictionary<string, string?>? env, params string[] args) =>
        CsbuildExecutable.Run(args, environment: Environment(root, env), timeout: TimeSpan.FromMinutes(5));

    /// <summary>Runs csbuild with <paramref name="stdin"/> as its standard input (e.g. <c>login --password-stdin</c>).</summary>
    public static ProcessResult RunWithInput(string root, IDictionary<string, string?>? env, string stdin, params string[] args) =>
        CsbuildExecutable.Run(args, environment: Environment(root, env), stdin: stdin, timeout: TimeSpan.FromMinutes(5));

    /// <summary>Starts csbuild without waiting; its output is collected into <see cref="RunningCsbuild.Output"/>.</summary>
    public static RunningCsbuild Start(string root, IDictionary<string, string?>? env, params string[] args)
    {
        var start = CsbuildExecutable.StartInfo(args);
        foreach (var (k, v) in Environment(root, env)) start.Environment[k] = v;
        return new RunningCsbuild(Process.Start(start)!);
    }

    private static Dictionary<string, string?> Environment(string root, IDictionary<string, string?>? env)
    {
        // Never the machine's registry credentials or config: a private DOCKER_CONFIG unless the test gives one.
        var environment = new Dictionary<string, string?>
        {
            ["CSBUILD_ROOT"] = root, ["NO_COLOR"] = "1", ["CI"] = "true",
            ["DOCKER_CONFIG"] = Path.Combine(Path.GetTempPath(), "csbuild-hardening-no-docker-config"),
        };
        if (env is not null) foreach (var (k, v) in env) environment[k] = v;
        return environment;
    }
}

/// <summary>A csbuild child process whose pipes are drained (so it never blocks on a full pipe).</summary>
public sealed class RunningCsbuild : IDisposable
{
    private readonly StringBuilder _output = new();

    public RunningCsbuild(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>SIGKILL (Process.Kill on Linux): no cleanup code of csbuild runs.</summary>
    public bool KillNow()
    {
        if (Process.HasExited) return false;
        try
        {
            Process.Kill();
        }
        catch (InvalidOperationException)
        {
            return false; // exited between the check and the kill
        }
        Process.WaitForExit();
        return true;
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!Process.WaitForExit(timeout)) { Process.Kill(entireProcessTree: true); throw new TimeoutException("csbuild did not finish in time:\n" + Output); }
        Process.WaitForExit();
        return Process.ExitCode;
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }
}
