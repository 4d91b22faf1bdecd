using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>
/// Runs the real `dotnet` CLI for a test app: without build servers (a lingering server would hold the output pipes and
/// keep a stale task assembly loaded), with its own NuGet package folder, and without the MSBuild variables of the test
/// host's own `dotnet test` leaking into the nested build.
/// </summary>
public static class DotnetCli
{
    public static ProcessResult Run(string workingDirectory, IDictionary<string, string?> environment, params string[] arguments) =>
        RunAs(null, workingDirectory, environment, arguments);

    /// <summary>As <see cref="Run"/>, as the given uid/gid (through setpriv) when <paramref name="user"/> is set.</summary>
    public static ProcessResult RunAs((int Uid, int Gid)? user, string workingDirectory, IDictionary<string, string?> environment, params string[] arguments)
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
        if (user is { } u)
            return ProcessRunner.Run("setpriv", [$"--reuid={u.Uid}", $"--regid={u.Gid}", "--clear-groups", "--", "dotnet", .. arguments],
                workingDirectory, env, timeout: TimeSpan.FromMinutes(8));
        return ProcessRunner.Run("dotnet", arguments, workingDirectory, env, timeout: TimeSpan.FromMinutes(8));
    }

    /// <summary>The repository root (where Builder.sln is), found from the test assembly's directory.</summary>
    public static string RepositoryRoot()
    {
        var root = typeof(DotnetCli).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        if (root is null || !File.Exists(Path.Combine(root, "Builder.sln")))
            throw new InvalidOperationException($"the repository root recorded at build time ('{root}') has no Builder.sln");
        return root;
    }
}
