namespace Csbuild.Hardening.Support;

/// <summary>
/// The suite's measured figures (hostile inputs tried, faults injected, bytes scanned…), appended as
/// "name&lt;TAB&gt;value" lines to <c>$CSBUILD_HARDENING_FIGURES</c> (default: TMPDIR/csbuild-hardening-figures.tsv),
/// so docs/reliability.md can quote what a run measured rather than what was planned.
/// </summary>
public static class Figures
{
    private static readonly Lock Gate = new();

    public static string FilePath =>
        Environment.GetEnvironmentVariable("CSBUILD_HARDENING_FIGURES") is { Length: > 0 } path
            ? path
            : Path.Combine(Path.GetTempPath(), "csbuild-hardening-figures.tsv");

    public static void Record(string name, long value)
    {
        lock (Gate) File.AppendAllText(FilePath, $"{DateTimeOffset.UtcNow:O}\t{name}\t{value}\n");
    }
}
