using System.Security.Cryptography;
using System.Text;
using Csbuild.Oci.Native;

namespace Csbuild.Oci.Tests.Support;

/// <summary>Everything a layer preserves about one path, for comparing two directory trees.</summary>
public sealed record NodeRecord(
    string Path, string Type, string Mode, uint Uid, uint Gid, long MtimeSeconds,
    string? Content, string? LinkTarget, string? Device, string Xattrs, string? HardlinkOf)
{
    public override string ToString() =>
        $"{Path} {Type} {Mode} {Uid}:{Gid} t={MtimeSeconds} {Content} {LinkTarget} {Device} [{Xattrs}] {HardlinkOf}";
}

/// <summary>Reads a directory tree into sorted <see cref="NodeRecord"/>s (without following symlinks).</summary>
public static class TreeSnapshot
{
    public static List<NodeRecord> Capture(string root, bool includeDirectoryTimes = true)
    {
        var records = new List<NodeRecord>();
        var firstPathOfInode = new Dictionary<ulong, string>();
        Walk(root, "", records, firstPathOfInode, includeDirectoryTimes);
        return records;
    }

    /// <summary>Asserts equality record by record, so a failure names the first differing path.</summary>
    public static void AssertEqual(IReadOnlyList<NodeRecord> expected, IReadOnlyList<NodeRecord> actual)
    {
        var expectedPaths = expected.Select(r => r.Path).ToList();
        var actualPaths = actual.Select(r => r.Path).ToList();
        Assert.Equal(expectedPaths, actualPaths);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].ToString(), actual[i].ToString());
    }

    private static void Walk(string full, string relative, List<NodeRecord> records, Dictionary<ulong, string> inodes, bool directoryTimes)
    {
        var names = Directory.EnumerateFileSystemEntries(full).Select(Path.GetFileName).Cast<string>()
            .OrderBy(n => n, StringComparer.Ordinal).ToList();
        foreach (var name in names)
        {
            string childFull = Path.Join(full, name);
            string childRelative = relative.Length == 0 ? name : relative + "/" + name;
            var status = Libc.StatNoFollow(childFull);
            string type = status.FileType switch
            {
                Libc.S_IFDIR => "dir",
                Libc.S_IFREG => "file",
                Libc.S_IFLNK => "symlink",
                Libc.S_IFCHR => "char",
                Libc.S_IFBLK => "block",
                Libc.S_IFIFO => "fifo",
                _ => "other",
            };
            string? content = status.IsRegularFile ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(childFull))) : null;
            string? hardlinkOf = null;
            if (status.IsRegularFile && status.LinkCount > 1)
            {
                if (inodes.TryGetValue(status.Inode, out var first)) hardlinkOf = first;
                else inodes[status.Inode] = childRelative;
            }
            records.Add(new NodeRecord(
                childRelative, type, Convert.ToString(status.Permissions, 8), status.Uid, status.Gid,
                status.IsDirectory && !directoryTimes ? 0 : status.MtimeSeconds,
                content,
                status.IsSymbolicLink ? new FileInfo(childFull).LinkTarget : null,
                status.IsCharacterDevice || status.IsBlockDevice ? $"{status.RdevMajor}:{status.RdevMinor}" : null,
                XattrsOf(childFull),
                hardlinkOf));
            if (status.IsDirectory) Walk(childFull, childRelative, records, inodes, directoryTimes);
        }
    }

    private static string XattrsOf(string path)
    {
        var parts = new List<string>();
        foreach (var name in Libc.ListXattrNames(path).OrderBy(n => n, StringComparer.Ordinal))
            parts.Add(name + "=" + Convert.ToHexStringLower(Libc.GetXattr(path, name) ?? []));
        return string.Join(",", parts);
    }

    public static string Describe(IEnumerable<NodeRecord> records) =>
        records.Aggregate(new StringBuilder(), (sb, r) => sb.AppendLine(r.ToString())).ToString();
}
