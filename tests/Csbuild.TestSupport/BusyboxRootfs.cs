using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Csbuild.TestSupport;

/// <summary>
/// Builds a minimal busybox root filesystem from Debian's busybox-static package, used as the
/// base "image" by tests that run real containers. The layout mimics a tiny distribution:
/// one static binary, a symlink per applet, users and groups for USER tests, and the usual
/// directories with their usual owners and modes. Deliberately absent: /proc, /dev, /sys and
/// /etc/hosts, /etc/resolv.conf, /etc/hostname, so tests can check what the runtime adds.
/// </summary>
public static partial class BusyboxRootfs
{
    private const string BusyboxPath = "/bin/busybox";

    private const string Passwd =
        "root:x:0:0:root:/root:/bin/sh\n" +
        "app:x:1000:1000::/home/app:/bin/sh\n" +
        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";

    private const string Group =
        "root:x:0:\n" +
        "staff:x:50:app\n" +
        "app:x:1000:\n" +
        "nogroup:x:65534:\n";

    private static string[]? applets;

    /// <summary>
    /// Creates the rootfs under <paramref name="workDirectory"/> and packs it as <c>busybox.tar</c> there (for
    /// <c>csbuild import</c>); returns the tarball's path.
    /// </summary>
    public static string CreateTarball(string workDirectory)
    {
        var rootfs = Path.Combine(workDirectory, "rootfs");
        Create(rootfs);
        var tarball = Path.Combine(workDirectory, "busybox.tar");
        System.Formats.Tar.TarFile.CreateFromDirectory(rootfs, tarball, includeBaseDirectory: false);
        return tarball;
    }

    /// <summary>Creates the rootfs in <paramref name="directory"/> (created if missing).</summary>
    /// <remarks>Owner changes (/home/app owned by 1000:1000) need root; as non-root they are skipped.</remarks>
    public static void Create(string directory)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("a busybox rootfs needs Linux");
        if (!File.Exists(BusyboxPath))
            throw new InvalidOperationException($"{BusyboxPath} not found: install it with 'apt-get install busybox-static'");

        Directory.CreateDirectory(directory);
        string At(string relative) => Path.Combine(directory, relative);

        foreach (var dir in new[] { "bin", "etc", "root", "home", "usr", "usr/bin", "var" })
            Directory.CreateDirectory(At(dir));

        var tmp = Directory.CreateDirectory(At("tmp"));
        File.SetUnixFileMode(tmp.FullName, (UnixFileMode)Convert.ToInt32("1777", 8));
        File.SetUnixFileMode(At("root"), (UnixFileMode)Convert.ToInt32("700", 8));

        var home = Directory.CreateDirectory(At("home/app"));
        Chown(home.FullName, 1000, 1000);

        var busybox = At("bin/busybox");
        File.Copy(BusyboxPath, busybox, overwrite: true);
        File.SetUnixFileMode(busybox, (UnixFileMode)Convert.ToInt32("755", 8));
        foreach (var applet in ListApplets())
        {
            if (applet == "busybox") continue;
            var link = At("bin/" + applet);
            if (!File.Exists(link) && !Directory.Exists(link))
                File.CreateSymbolicLink(link, "busybox");
        }

        File.WriteAllText(At("etc/passwd"), Passwd);
        File.WriteAllText(At("etc/group"), Group);
    }

    /// <summary>The applet list is the same for every rootfs; ask busybox once per process.</summary>
    private static string[] ListApplets()
    {
        if (applets is not null) return applets;
        using var process = Process.Start(new ProcessStartInfo(BusyboxPath, "--list")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not start busybox --list");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"busybox --list exited with {process.ExitCode}");
        return applets = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static void Chown(string path, int uid, int gid)
    {
        if (geteuid() != 0) return;
        if (lchown(path, uid, gid) != 0)
            throw new IOException($"lchown {path}: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int lchown(string path, int owner, int group);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();
}
