using System.Text;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Native;

namespace Csbuild.Oci.Tests.Support;

/// <summary>Builds diff directories with every kind of node a layer can hold (needs root).</summary>
public static class SampleTrees
{
    public const long BaseTime = 1_600_000_000;

    /// <summary>The binary value of security.capability for cap_setuid,cap_setgid+ep: it has bytes ≥ 0x80 (0xC0).</summary>
    public static readonly byte[] CapabilityValue =
        [0x01, 0x00, 0x00, 0x02, 0xC0, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

    public static readonly string LongDirectoryName = new string('d', 120);
    public const string UnicodeName = "ünïcode-файл-名前.txt";

    /// <summary>
    /// An overlay upper-dir style tree: files (setuid, owners, binary xattrs, empty, multi-megabyte), hardlinks,
    /// symlinks, a fifo, a whiteout (0:0 char device), an opaque directory, long and non-ASCII names, special modes.
    /// </summary>
    public static void BuildFullTree(string root)
    {
        RootRequirement.Ensure();
        var random = new Random(42);
        int tick = 0;
        long Next() => BaseTime + tick++;

        string bin = Dir(root, "bin", 0x1ED, 0, 0);
        File(Path.Join(bin, "tool"), "#!/bin/sh\necho tool\n", 0x9ED /* 04755 */, 0, 0, Next());
        Libc.CreateHardLink(Path.Join(bin, "tool"), Path.Join(bin, "tool-hardlink"));
        string caps = File(Path.Join(bin, "pinger"), "ping", 0x1ED, 0, 0, Next());
        Libc.SetXattr(caps, "security.capability", CapabilityValue);
        Libc.SetTimesNoFollow(caps, Next());

        string etc = Dir(root, "etc", 0x1ED, 0, 0);
        File(Path.Join(etc, "config"), "key=value\n", 0x1A4, 1000, 1000, Next());
        Symlink("config", Path.Join(etc, "config-link"), 0, 0, Next());
        Symlink("/etc/passwd", Path.Join(etc, "absolute-link"), 0, 0, Next());
        string userAttr = File(Path.Join(etc, "annotated"), "x", 0x1A4, 0, 0, Next());
        Libc.SetXattr(userAttr, "user.comment", Encoding.UTF8.GetBytes("hello"));
        Libc.SetTimesNoFollow(userAttr, Next());

        string data = Dir(root, "data", 0x1C0, 1234, 5678);
        File(Path.Join(data, "empty"), "", 0x1A4, 1234, 5678, Next());
        var big = new byte[5 * 1024 * 1024 + 123];
        random.NextBytes(big);
        FileBytes(Path.Join(data, "big.bin"), big, 0x1A4, 1234, 5678, Next());
        Libc.CreateNode(Path.Join(data, "pipe"), Libc.S_IFIFO | 0x180, 0, 0);
        Libc.ChangeOwnerNoFollow(Path.Join(data, "pipe"), 1234, 5678);
        Libc.SetTimesNoFollow(Path.Join(data, "pipe"), Next());

        // overlay whiteout for a deleted lower file, and an opaque directory replacing a lower one
        Libc.CreateNode(Path.Join(root, "deleted"), Libc.S_IFCHR, 0, 0);
        Libc.SetTimesNoFollow(Path.Join(root, "deleted"), Next());
        string opaque = Dir(root, "opaque", 0x1ED, 0, 0);
        Libc.SetXattr(opaque, Whiteouts.OverlayOpaqueXattr, "y"u8);
        File(Path.Join(opaque, "kept"), "kept", 0x1A4, 0, 0, Next());

        string deep = Dir(root, "long", 0x1ED, 0, 0);
        string longDir = Dir(deep, LongDirectoryName, 0x1ED, 0, 0);
        string longDir2 = Dir(longDir, LongDirectoryName, 0x1ED, 0, 0);
        File(Path.Join(longDir2, new string('f', 150)), "deep", 0x1A4, 0, 0, Next());
        Symlink(new string('t', 150), Path.Join(deep, "long-target-link"), 0, 0, Next());
        File(Path.Join(root, UnicodeName), "unicode", 0x1A4, 0, 0, Next());

        string sticky = Dir(root, "tmp", 0x3FF /* 01777 */, 0, 0);
        File(Path.Join(sticky, "scratch"), "s", 0x1B6, 65534, 65534, Next());
        string readOnly = Dir(root, "readonly", 0x16D /* 0555 */, 0, 0);
        File(Path.Join(readOnly, "inside"), "ro", 0x124, 0, 0, Next());

        SetDirectoryTimes(root, Next());
    }

    public static string Dir(string parent, string name, int mode, int uid, int gid)
    {
        string path = Path.Join(parent, name);
        Directory.CreateDirectory(path);
        Libc.ChangeOwnerNoFollow(path, uid, gid);
        System.IO.File.SetUnixFileMode(path, (UnixFileMode)mode);
        return path;
    }

    public static string File(string path, string content, int mode, int uid, int gid, long mtime) =>
        FileBytes(path, Encoding.UTF8.GetBytes(content), mode, uid, gid, mtime);

    public static string FileBytes(string path, byte[] content, int mode, int uid, int gid, long mtime)
    {
        System.IO.File.WriteAllBytes(path, content);
        Libc.ChangeOwnerNoFollow(path, uid, gid);
        System.IO.File.SetUnixFileMode(path, (UnixFileMode)mode);
        Libc.SetTimesNoFollow(path, mtime);
        return path;
    }

    public static void Symlink(string target, string path, int uid, int gid, long mtime)
    {
        System.IO.File.CreateSymbolicLink(path, target);
        Libc.ChangeOwnerNoFollow(path, uid, gid);
        Libc.SetTimesNoFollow(path, mtime);
    }

    /// <summary>Sets every directory's mtime (deepest first, since that does not disturb the parents).</summary>
    public static void SetDirectoryTimes(string root, long mtime)
    {
        foreach (var dir in Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                     .OrderByDescending(d => d.Length))
            Libc.SetTimesNoFollow(dir, mtime);
        Libc.SetTimesNoFollow(root, mtime);
    }
}
