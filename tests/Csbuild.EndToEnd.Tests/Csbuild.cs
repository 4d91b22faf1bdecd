using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>Runs the real csbuild program (<see cref="CsbuildExecutable"/>) as a user would.</summary>
public static class CsbuildProgram
{
    public static ProcessResult Run(string root, params string[] args) => Run(root, null, args);

    public static ProcessResult Run(string root, IDictionary<string, string?>? env, params string[] args)
    {
        var environment = new Dictionary<string, string?> { ["CSBUILD_ROOT"] = root, ["NO_COLOR"] = "1", ["CI"] = "true" };
        if (env is not null) foreach (var (k, v) in env) environment[k] = v;
        return CsbuildExecutable.Run(args, environment: environment, timeout: TimeSpan.FromMinutes(5));
    }
}
