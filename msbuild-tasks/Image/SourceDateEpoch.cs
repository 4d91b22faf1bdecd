using System.Diagnostics;
using System.Globalization;

namespace Csbuild.Containers.Image;

/// <summary>
/// The fixed time of reproducible images: SOURCE_DATE_EPOCH (property or environment), else the time of the last
/// commit of the project's git repository, else null (the Unix epoch is then used).
/// </summary>
public static class SourceDateEpoch
{
    public static DateTimeOffset? Resolve(string? configured, string? projectDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (!long.TryParse(configured.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"SOURCE_DATE_EPOCH '{configured}' is not a number of seconds since 1970");
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }
        return string.IsNullOrEmpty(projectDirectory) ? null : LastCommitTime(projectDirectory);
    }

    /// <summary>`git log -1 --format=%ct`; null when git is missing or the directory is not in a repository.</summary>
    public static DateTimeOffset? LastCommitTime(string directory)
    {
        try
        {
            var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in (string[])["-C", directory, "log", "-1", "--format=%ct"]) start.ArgumentList.Add(argument);
            using var git = Process.Start(start);
            if (git is null) return null;
            var stdout = git.StandardOutput.ReadToEndAsync();
            git.StandardError.ReadToEnd();
            if (!git.WaitForExit(10_000)) { git.Kill(); return null; }
            return git.ExitCode == 0 && long.TryParse(stdout.Result.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine
        }
    }
}
