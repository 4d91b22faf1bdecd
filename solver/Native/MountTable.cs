namespace Csbuild.Solver.Native;

public static class MountTable
{
    /// <summary>Whether anything is mounted at or below <paramref name="directory"/> (per /proc/self/mountinfo).</summary>
    public static bool HasMountUnder(string directory)
    {
        var prefix = Path.GetFullPath(directory).TrimEnd('/');
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5) continue;
            var mountPoint = fields[4].Replace("\\040", " ");
            if (mountPoint == prefix || mountPoint.StartsWith(prefix + "/", StringComparison.Ordinal)) return true;
        }
        return false;
    }
}
