using System.Security.Cryptography;
using Csbuild.TestSupport;

namespace Csbuild.Hardening.Support;

/// <summary>
/// A directory outside every csbuild root, with a few files, that hostile inputs aim at (symlink targets,
/// "../" paths, hardlink targets). <see cref="AssertUntouched"/> proves nothing in it was created, changed or
/// removed, comparing lstat data and content hashes (never following links).
/// </summary>
public sealed class Sentinel : IDisposable
{
    private readonly TempDirectory _dir = new("csbuild-sentinel");
    private readonly string _fingerprint;

    public Sentinel()
    {
        _dir.Write("victim.txt", "original content\n");
        _dir.Write("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        Directory.CreateDirectory(_dir.Combine("empty"));
        _fingerprint = Fingerprint();
    }

    public string Path => _dir.Path;

    public void AssertUntouched(string context)
    {
        var now = Fingerprint();
        Assert.True(now == _fingerprint, $"{context}: the sentinel directory outside the root changed:\nbefore:\n{_fingerprint}\nafter:\n{now}");
    }

    private string Fingerprint()
    {
        var lines = new List<string>();
        foreach (var entry in new DirectoryInfo(Path).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var kind = entry.LinkTarget is not null ? "link:" + entry.LinkTarget : entry is DirectoryInfo ? "dir" : "file";
            var hash = entry is FileInfo { LinkTarget: null } file ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file.FullName))) : "";
            lines.Add($"{System.IO.Path.GetRelativePath(Path, entry.FullName)} {kind} {entry.UnixFileMode} {entry.LastWriteTimeUtc.Ticks} {hash}");
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    public void Dispose() => _dir.Dispose();
}
