namespace Csbuild.Cache.Gc;

/// <summary>
/// A process as the kernel knows it: pid plus start time (clock ticks since boot, /proc/PID/stat field 22),
/// so that a pid reused by an unrelated process is not mistaken for the one that took a lease.
/// </summary>
public readonly record struct ProcessIdentity(int Pid, long StartTicks)
{
    public static ProcessIdentity Current { get; } = Of(Environment.ProcessId) ?? new ProcessIdentity(Environment.ProcessId, 0);

    /// <summary>The identity of a running process, or null when no process has that pid.</summary>
    public static ProcessIdentity? Of(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
        var afterName = stat.LastIndexOf(')');
        if (afterName < 0) return null;
        var fields = stat[(afterName + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        const int startTimeIndex = 22 - 3; // fields[0] is field 3 (state)
        return fields.Length > startTimeIndex && long.TryParse(fields[startTimeIndex], out var ticks)
            ? new ProcessIdentity(pid, ticks)
            : null;
    }

    /// <summary>Whether this very process still runs (same pid and same start time).</summary>
    public bool IsAlive => Of(Pid) is { } now && (StartTicks == 0 || now.StartTicks == StartTicks);
}
