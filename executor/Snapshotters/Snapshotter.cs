using System.Collections.Concurrent;
using System.Security.Cryptography;
using Csbuild.Executor.Native;
using Csbuild.Oci.Native;

namespace Csbuild.Executor.Snapshotters;

/// <summary>How a step's writable root file system is made.</summary>
public enum Snapshotter
{
    /// <summary>An overlayfs mount of the lower layers with the upper dir on top (fast; needs overlayfs).</summary>
    Overlayfs,

    /// <summary>A copy of the lower layers, compared with them after the step (slower; works on any file system).</summary>
    Native,
}

/// <summary>
/// Picks the snapshotter: the configured one, else <see cref="EnvironmentVariable"/>, else overlayfs when an
/// overlay mount works where the step's files live, native otherwise. The probe runs once per file system per process.
/// </summary>
public static class SnapshotterSelection
{
    public const string EnvironmentVariable = "CSBUILD_SNAPSHOTTER";

    private static readonly ConcurrentDictionary<(uint Major, uint Minor), bool> OverlayUsableByDevice = new();

    /// <param name="configured">An explicit choice (e.g. from tests); null to decide from the environment and the host.</param>
    /// <param name="scratchDirectory">A directory on the file system that will hold the upper dir; the probe runs in it.</param>
    public static Snapshotter Choose(Snapshotter? configured, string scratchDirectory)
    {
        if (configured is { } chosen) return chosen;
        if (FromEnvironment() is { } fromEnvironment) return fromEnvironment;
        return OverlayUsable(scratchDirectory) ? Snapshotter.Overlayfs : Snapshotter.Native;
    }

    /// <summary>The value of <see cref="EnvironmentVariable"/>, or null when unset ("auto" counts as unset).</summary>
    public static Snapshotter? FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim();
        return value?.ToLowerInvariant() switch
        {
            null or "" or "auto" => null,
            "native" => Snapshotter.Native,
            "overlayfs" or "overlay" => Snapshotter.Overlayfs,
            _ => throw new ExecutorException($"{EnvironmentVariable}={value} is not a snapshotter: use native, overlayfs or auto"),
        };
    }

    /// <summary>Whether overlayfs works on the file system of <paramref name="directory"/> (cached per device).</summary>
    public static bool OverlayUsable(string directory)
    {
        Directory.CreateDirectory(directory);
        var status = Libc.StatNoFollow(directory);
        return OverlayUsableByDevice.GetOrAdd((status.DeviceMajor, status.DeviceMinor), _ => Probe(directory));
    }

    private static bool Probe(string directory)
    {
        // overlayfs cannot take its upper dir from another overlayfs (the usual case inside a container).
        if (Posix.IsOnOverlayfs(directory)) return false;
        var probe = Path.Combine(directory, ".overlay-probe-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        string[] parts = ["lower", "upper", "work", "merged"];
        foreach (var part in parts) Directory.CreateDirectory(Path.Combine(probe, part));
        var mounted = false;
        try
        {
            using var overlay = OverlayMount.Mount([Path.Combine(probe, "lower")], Path.Combine(probe, "upper"),
                Path.Combine(probe, "work"), Path.Combine(probe, "merged"), Path.Combine(probe, "lower"));
            mounted = true;
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        finally
        {
            // The work dir may hold a root-only "work/work" directory; a recursive delete handles it. Never delete
            // while mounted (the using above has unmounted by now unless the unmount itself failed).
            if (!mounted || !File.ReadAllText("/proc/self/mountinfo").Contains(probe, StringComparison.Ordinal))
                Directory.Delete(probe, recursive: true);
        }
    }
}
