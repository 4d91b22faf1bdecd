using System.Diagnostics;
using System.Text.Json;
using Csbuild.Cache;
using Csbuild.Executor;

namespace Csbuild.Solver.Ops;

/// <summary>
/// A build killed with SIGKILL during a RUN step leaves the OCI runtime and the step's container running (they
/// are not killed with their parent). Opening the root already unmounted and removed the step's bundle; this
/// stops the container itself, found by its bundle path: a temp directory of this root owned by a dead process.
/// </summary>
internal static class OrphanContainers
{
    public static void Reap(CsbuildRoot root, string? runtimePath)
    {
        if (!Environment.IsPrivilegedProcess) return;
        var stateDirectory = new ContainerRunnerOptions().StateDirectory; // the state directory ExecRunner's runner uses
        if (!Directory.Exists(stateDirectory)) return;
        foreach (var container in Directory.EnumerateDirectories(stateDirectory))
        {
            var bundle = BundleOf(Path.Combine(container, "state.json"));
            if (bundle is null || Path.GetDirectoryName(bundle) != root.TempDirectory) continue;
            if (!StaleFiles.IsOwnedByDeadProcess(Path.GetFileName(bundle))) continue; // a live build's step
            var id = Path.GetFileName(container);
            var runtime = runtimePath ?? "runc";
            RunQuietly(runtime, "--root", stateDirectory, "kill", id, "KILL");
            RunQuietly(runtime, "--root", stateDirectory, "delete", "--force", id);
        }
    }

    // runc records the bundle as a "bundle=PATH" label of the container's config.
    private static string? BundleOf(string stateFile)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(stateFile));
            if (!document.RootElement.TryGetProperty("config", out var config) || !config.TryGetProperty("labels", out var labels)) return null;
            foreach (var label in labels.EnumerateArray())
                if (label.GetString() is { } text && text.StartsWith("bundle=", StringComparison.Ordinal))
                    return Path.GetFullPath(text["bundle=".Length..]).TrimEnd('/');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            // being written or removed by the runtime right now: not an orphan we can judge
        }
        return null;
    }

    private static void RunQuietly(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start);
            if (process is null) return;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10))) process.Kill();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no runtime installed: there can be no orphaned container either
        }
    }
}
