using Csbuild.Executor;
using Csbuild.Solver;
using Csbuild.Solver.Graph;

namespace Csbuild.Cli.Commands;

/// <summary>Turns exceptions into one readable line on stderr and an exit code; --debug adds the stack trace.</summary>
internal static class CommandErrors
{
    public static bool Debug => Environment.GetEnvironmentVariable("CSBUILD_DEBUG") is "1" or "true";

    public static async Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e)
        {
            var (message, code) = Classify(e);
            Console.Error.WriteLine("error: " + message);
            if (Debug) Console.Error.WriteLine(e);
            return code;
        }
    }

    public static (string Message, int ExitCode) Classify(Exception e) => e switch
    {
        CliException cli => (cli.Message, cli.ExitCode),
        OperationCanceledException => ("canceled", ExitCodes.BuildFailed),
        Frontend.DockerfileException df => (df.Message, ExitCodes.BuildFailed),
        ImageNotFoundException nf => (nf.Message, ExitCodes.BuildFailed),
        Oci.Registry.RegistryException re => (re.Message, re.IsNotFound || re.IsUnauthorized ? ExitCodes.BuildFailed : ExitCodes.Infrastructure),
        StepFailedException step when step.InnerException is ExecutorException => (step.Message, ExitCodes.Infrastructure),
        BuildException build => (build.Message, ExitCodes.BuildFailed),
        ExecutorException ex => (ex.Message, ExitCodes.Infrastructure),
        UnauthorizedAccessException ua => (ua.Message + " (are you root, or is --root writable?)", ExitCodes.Infrastructure),
        IOException io => (io.Message, ExitCodes.Infrastructure),
        InvalidDataException bad => (bad.Message, ExitCodes.Infrastructure),
        _ => (e.GetType().Name + ": " + e.Message, ExitCodes.Infrastructure),
    };
}
