using System.Security.Cryptography;
using System.Text;
using Csbuild.Oci.Model;
using Csbuild.Oci.Native;

namespace Csbuild.Solver.Context;

/// <summary>
/// The content selector of a COPY for its cache key: every selected entry's path (relative to its match),
/// type, permission bits, symlink target and content digest. Not mtimes, inode numbers or host paths, so
/// the key is the same on every machine; owners only where the copy preserves them.
/// </summary>
public static class SelectionChecksum
{
    public static Digest Compute(IReadOnlyList<CopyMatch> matches, bool includeOwnership, IFileDigestCache? digests = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = new StringBuilder();
        foreach (var match in matches) digests?.Prepare(match.Root.HostPath);
        foreach (var match in matches)
        {
            Append(hash, line, "match", match.Name, match.Root, includeOwnership, digests);
            var prefix = match.Root.RelativePath.Length == 0 ? 0 : match.Root.RelativePath.Length + 1;
            foreach (var entry in match.Descendants)
                Append(hash, line, "entry", entry.RelativePath[prefix..], entry, includeOwnership, digests);
        }
        return Digest.FromHash(hash.GetHashAndReset());
    }

    private static void Append(IncrementalHash hash, StringBuilder line, string kind, string path, SourceEntry entry, bool includeOwnership, IFileDigestCache? digests)
    {
        var s = entry.Status;
        line.Clear().Append(kind).Append('\0').Append(path).Append('\0').Append(s.FileType.ToString("x")).Append('\0').Append(Convert.ToString(s.Permissions, 8));
        if (includeOwnership) line.Append('\0').Append(s.Uid).Append(':').Append(s.Gid);
        if (s.IsSymbolicLink) line.Append('\0').Append(new FileInfo(entry.HostPath).LinkTarget);
        else if (s.IsRegularFile) line.Append('\0').Append(digests?.GetOrCompute(entry.HostPath, s) ?? FileDigest(entry.HostPath));
        line.Append('\n');
        hash.AppendData(Encoding.UTF8.GetBytes(line.ToString()));
    }

    public static Digest FileDigest(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return Digest.FromHash(SHA256.HashData(stream));
    }
}

/// <summary>Remembers file digests by stat data, so an unchanged context is checksummed without reading files.</summary>
public interface IFileDigestCache
{
    /// <summary>Called with each selection's root before its files are asked for.</summary>
    void Prepare(string hostPath);

    Digest GetOrCompute(string hostPath, FileStatus status);
}
