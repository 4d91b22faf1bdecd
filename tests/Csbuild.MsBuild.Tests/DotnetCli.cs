using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>
/// Runs the real `dotnet` CLI for a test app: without build servers (a lingering server would hold the output pipes and
/// keep a stale task assembly loaded), with its own NuGet package folder, and without the MSBuild variables of the test
/// host's own `dotnet test` leaking into the nested build.
/// </summary>
public static class DotnetCli
{
    public static ProcessResult Run(string workingDirectory, IDictionary<string, string?> environment, params string[] arguments)
    {
        var env = new Dictionary<string, string?>(environment)
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["MSBUILDNOINPROCNODE"] = null,
        };
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
            if ((name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)) && !env.ContainsKey(name))
                env[name] = null;
        return ProcessRunner.Run("dotnet", arguments, workingDirectory, env, timeout: TimeSpan.FromMinutes(8));
    }

    /// <summary>The repository root (where Builder.sln is), found from the test assembly's directory.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Builder.sln"))) return dir.FullName;
        // Built with --artifacts-path outside the repository: the source tree is found from the current directory instead.
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Builder.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Builder.sln) above " + AppContext.BaseDirectory);
    }
}
