using Csbuild.Solver.Context;
using Csbuild.Oci.Native;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver.Ops;

/// <summary>How copied entries are owned, moded and placed (the flags of a COPY or ADD).</summary>
public sealed record CopyOptions
{
    public static CopyOptions Default { get; } = new();

    /// <summary><c>--chown</c>, resolved; null keeps a stage's owners and makes context files root's.</summary>
    public (uint Uid, uint Gid)? Owner { get; init; }
    /// <summary>Octal <c>--chmod</c>: every copied file and directory gets exactly this.</summary>
    public uint? Mode { get; init; }
    /// <summary>Symbolic <c>--chmod</c>: applied to each copied entry's own permissions.</summary>
    public SymbolicMode? ModeChange { get; init; }
    /// <summary>
    /// COPY --parents: the sources as written; a match keeps its path below the destination, from the
    /// <c>/./</c> pivot of the source it came from (the whole path when there is none).
    /// </summary>
    public IReadOnlyList<string>? ParentsOf { get; init; }
    /// <summary>ADD: offered every regular-file match with its destination path; true when it unpacked the file there.</summary>
    public Func<CopyMatch, string, bool>? TryUnpack { get; init; }

    public uint Permissions(uint current, bool isDirectory) => Mode ?? ModeChange?.Apply(current, isDirectory) ?? current;
}

/// <summary>Copies selected sources into a diff directory at a destination resolved in the target filesystem.</summary>
public static class CopyEngine
{
    private const uint DefaultDirMode = 0b111_101_101;

    /// <param name="dest">Absolute destination as written in the Dockerfile (already expanded), e.g. /app/ or /app/x.txt.</param>
    public static void Copy(DiffWriter diff, ICopySource source, IReadOnlyList<CopyMatch> matches, string dest, bool destIsDirectory,
        (uint Uid, uint Gid)? owner, uint? mode) =>
        Copy(diff, source, matches, dest, destIsDirectory, new CopyOptions { Owner = owner, Mode = mode });

    public static void Copy(DiffWriter diff, ICopySource source, IReadOnlyList<CopyMatch> matches, string dest, bool destIsDirectory, CopyOptions options)
    {
        var destPath = diff.View.Resolve(dest, followFinal: true);
        var destExistsAsDir = diff.View.Find(destPath) is { } host && Libc.TryStatNoFollow(host) is { IsDirectory: true };
        bool intoDirectory = destIsDirectory || destExistsAsDir || matches.Count > 1 || matches.Any(m => m.Root.Status.IsDirectory)
            || options.ParentsOf is not null;
        var dirOwner = options.Owner ?? (0, 0);
        var pivots = options.ParentsOf?.Select(Pivot).OrderByDescending(p => p.Length).ToList();

        foreach (var match in matches)
        {
            var matchDest = destPath;
            if (pivots is not null)
            {
                // --parents: the destination gains the match's directories below its source's pivot.
                var kept = KeptPath(match.Root.RelativePath, pivots);
                matchDest = match.Root.Status.IsDirectory ? Join(destPath, kept) : Join(destPath, Parent(kept));
            }
            if (match.Root.Status.IsRegularFile && options.TryUnpack is { } unpack && unpack(match, matchDest)) continue;
            if (match.Root.Status.IsDirectory)
            {
                diff.EnsureDirectory(matchDest, DefaultDirMode, dirOwner.Uid, dirOwner.Gid);
                if (pivots is not null && matchDest != destPath) CopyEntry(diff, source, match.Root, matchDest, options);
                foreach (var entry in match.Descendants)
                {
                    var relative = entry.RelativePath[(match.Root.RelativePath.Length == 0 ? 0 : match.Root.RelativePath.Length + 1)..];
                    CopyEntry(diff, source, entry, Join(matchDest, relative), options);
                }
            }
            else
            {
                var target = intoDirectory ? Join(matchDest, match.Name) : matchDest;
                var parent = Parent(target);
                diff.EnsureDirectory(parent, DefaultDirMode, dirOwner.Uid, dirOwner.Gid);
                CopyEntry(diff, source, match.Root, target, options);
            }
        }
    }

    private static void CopyEntry(DiffWriter diff, ICopySource source, SourceEntry entry, string targetRelative, CopyOptions options)
    {
        var target = diff.HostPath(targetRelative);
        var status = entry.Status;
        var existing = Libc.TryStatNoFollow(target);
        if (existing is not null && !(existing.Value.IsDirectory && status.IsDirectory)) DiffWriter.RemoveEntry(target);

        if (status.IsDirectory)
        {
            diff.EnsureDirectory(Parent(targetRelative), DefaultDirMode, options.Owner?.Uid ?? 0, options.Owner?.Gid ?? 0);
            Directory.CreateDirectory(target);
        }
        else if (status.IsSymbolicLink)
        {
            File.CreateSymbolicLink(target, new FileInfo(entry.HostPath).LinkTarget!);
        }
        else if (status.IsRegularFile)
        {
            CopyRegularFile(diff, source, entry, target, targetRelative, options);
            return;
        }
        else
        {
            // Devices, fifos and sockets in a build context are skipped, as BuildKit's context transfer does.
            if (!source.PreservesOwnership) return;
            throw new BuildException($"cannot copy special file /{entry.RelativePath} from another stage yet");
        }

        var (uid, gid) = options.Owner ?? (source.PreservesOwnership ? (status.Uid, status.Gid) : (0u, 0u));
        diff.SetOwner(targetRelative, uid, gid);
        if (!status.IsSymbolicLink)
        {
            DiffWriter.SetMode(target, options.Permissions(status.Permissions, status.IsDirectory));
            DiffWriter.SetMtime(target, status.MtimeSeconds, status.MtimeNanoseconds);
        }
    }

    /// <summary>Bytes, owner, mode and mtime through the two descriptors (see <see cref="RawFile"/>).</summary>
    private static void CopyRegularFile(DiffWriter diff, ICopySource source, SourceEntry entry, string target, string targetRelative, CopyOptions options)
    {
        var status = entry.Status;
        var (uid, gid) = options.Owner ?? (source.PreservesOwnership ? (status.Uid, status.Gid) : (0u, 0u));
        using var from = RawFile.OpenRead(entry.HostPath);
        using var to = RawFile.CreateNew(target);
        to.CopyFrom(from);
        diff.RecordOwner(targetRelative, uid, gid, applied: to.TryChangeOwner(uid, gid));
        to.ChangeMode(options.Permissions(status.Permissions, isDirectory: false));
        to.SetModificationTime(status.MtimeSeconds, status.MtimeNanoseconds);
    }

    /// <summary>The clean directory before a source's <c>/./</c> marker ("" when it has none).</summary>
    private static string Pivot(string source)
    {
        var normalized = "/" + source.Replace('\\', '/').TrimStart('/');
        var marker = normalized.LastIndexOf("/./", StringComparison.Ordinal);
        return marker < 0 ? "" : CopySelection.CleanSourcePath(normalized[..marker]);
    }

    private static string KeptPath(string relativePath, IReadOnlyList<string> pivotsLongestFirst)
    {
        foreach (var pivot in pivotsLongestFirst)
        {
            if (pivot.Length == 0) return relativePath;
            if (relativePath.StartsWith(pivot + "/", StringComparison.Ordinal)) return relativePath[(pivot.Length + 1)..];
            if (relativePath == pivot) return "";
        }
        return relativePath;
    }

    private static string Join(string directory, string name) => directory.Length == 0 ? name : name.Length == 0 ? directory : directory + "/" + name;

    private static string Parent(string relative)
    {
        var slash = relative.LastIndexOf('/');
        return slash < 0 ? "" : relative[..slash];
    }
}
