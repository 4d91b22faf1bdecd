using System.Diagnostics;
using System.Runtime.InteropServices;
using Csbuild.Oci.Model;

namespace Csbuild.Containers.Image;

/// <summary>
/// Pulls the base image with the native (ahead-of-time compiled) csbuild that the package carries for linux-x64, into
/// the same root. Inside MSBuild's process the pull runs as freshly JIT-compiled code (about a thousand generic and
/// async methods): 276 ms for the bench's 51 MB base layer, where starting the native program and its pull take
/// 159 ms, and ~40 ms to check an image already pulled. Only an accelerator: when it is missing, cannot run, is switched off
/// (<see cref="OptOutVariable"/>=0) or fails, the caller pulls in-process, which also reports any error.
/// </summary>
internal static class NativeBasePull
{
    public const string OptOutVariable = "CSBUILD_CONTAINERS_NATIVE";

    // The SDK's credential variables are read by the task's own registry client only; with any of them set, it pulls.
    private static readonly string[] CredentialVariables =
        ["DOTNET_CONTAINER_PULL_REGISTRY_UNAME", "DOTNET_CONTAINER_REGISTRY_UNAME", "SDK_CONTAINER_REGISTRY_UNAME"];

    /// <summary>The native binary beside the task assembly (tasks/TFM/native/csbuild), or null when this host cannot use it.</summary>
    public static string? Locate()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        if (Environment.GetEnvironmentVariable(OptOutVariable) == "0") return null;
        if (CredentialVariables.Any(v => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v)))) return null;
        var directory = Path.GetDirectoryName(typeof(NativeBasePull).Assembly.Location);
        if (string.IsNullOrEmpty(directory)) return null;
        var binary = Path.Combine(directory, "native", "csbuild");
        return File.Exists(binary) && EnsureExecutable(binary) ? binary : null;
    }

    /// <summary>Runs <c>csbuild pull</c>; the platform manifest's digest when it succeeded, else null (and why, logged).</summary>
    public static Digest? TryPull(string binary, string root, string reference, string platform, IEnumerable<string> insecureRegistries,
        Action<string> log, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["--root", root, "pull", "--platform", platform]) start.ArgumentList.Add(argument);
        foreach (var registry in insecureRegistries)
        {
            start.ArgumentList.Add("--insecure-registry");
            start.ArgumentList.Add(registry);
        }
        start.ArgumentList.Add(reference);
        try
        {
            using var process = Process.Start(start)!;
            using var kill = cancellationToken.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            cancellationToken.ThrowIfCancellationRequested();
            var digestLine = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("Digest: ", StringComparison.Ordinal));
            if (process.ExitCode == 0 && Digest.TryParse(digestLine?["Digest: ".Length..].Trim(), out var digest)) return digest;
            log($"the native csbuild could not pull {reference} (exit code {process.ExitCode}: {FirstLine(stderr.Result)}); pulling in-process");
            return null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            log($"the native csbuild could not be started ({e.Message}); pulling in-process");
            return null;
        }
    }

    // NuGet does not keep file modes when it extracts a package.
    private static bool EnsureExecutable(string binary)
    {
        const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        try
        {
            var mode = File.GetUnixFileMode(binary);
            if ((mode & UnixFileMode.UserExecute) == 0) File.SetUnixFileMode(binary, mode | execute);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // a read-only package folder: the in-process pull serves
        }
    }

    private static string FirstLine(string text)
    {
        var trimmed = text.Trim();
        var end = trimmed.IndexOf('\n');
        return end < 0 ? trimmed : trimmed[..end];
    }
}
