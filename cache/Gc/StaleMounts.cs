using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Csbuild.Cache.Gc;

/// <summary>
/// A build killed during a RUN step leaves its overlay mount (and the runtime's mounts under it) in the host's
/// mount table. They must come off before the leftover directory is deleted: a recursive delete would walk
/// into the mount, and a mount point cannot be removed anyway.
/// </summary>
public static partial class StaleMounts
{
    private const int MntDetach = 2;

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);

    /// <summary>Mount points at or below <paramref name="directory"/>, deepest first.</summary>
    public static IReadOnlyList<string> Under(string directory)
    {
        var prefix = Path.GetFullPath(directory).TrimEnd('/');
        if (!File.Exists("/proc/self/mountinfo")) return [];
        var found = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5) continue;
            var mountPoint = Unescape(fields[4]);
            if (mountPoint == prefix || mountPoint.StartsWith(prefix + "/", StringComparison.Ordinal)) found.Add(mountPoint);
        }
        // Later mounts may sit on earlier ones at the same path: unmount in reverse order of appearance, deepest first.
        found.Reverse();
        return found.Select((m, i) => (m, i)).OrderByDescending(x => x.m.Count(c => c == '/')).ThenBy(x => x.i).Select(x => x.m).ToList();
    }

    /// <summary>Lazily detaches every mount at or below <paramref name="directory"/>; true when none is left.</summary>
    public static bool Detach(string directory)
    {
        var mounts = Under(directory);
        if (mounts.Count == 0) return true;
        if (!Environment.IsPrivilegedProcess) return false;
        foreach (var mountPoint in mounts) umount2(mountPoint, MntDetach);
        return Under(directory).Count == 0;
    }

    // mountinfo escapes space, tab, newline and backslash as octal (\040, \011, \012, \134).
    private static string Unescape(string field) =>
        OctalEscape().Replace(field, m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());

    [GeneratedRegex(@"\\([0-7]{3})")]
    private static partial Regex OctalEscape();
}
