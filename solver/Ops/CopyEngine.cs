using Csbuild.Solver.Context;
using Csbuild.Oci.Native;

namespace Csbuild.Solver.Ops;

/// <summary>Copies selected sources into a diff directory at a destination resolved in the target filesystem.</summary>
public static class CopyEngine
{
    private const uint DefaultDirMode = 0b111_101_101;

    /// <param name="dest">Absolute destination as written in the Dockerfile (already expanded), e.g. /app/ or /app/x.txt.</param>
    public static void Copy(DiffWriter diff, ICopySource source, IReadOnlyList<CopyMatch> matches, string dest, bool destIsDirectory,
        (uint Uid, uint Gid)? owner, uint? mode)
    {
        var destPath = diff.View.Resolve(dest, followFinal: true);
        var destExistsAsDir = diff.View.Find(destPath) is { } host && Libc.TryStatNoFollow(host) is { IsDirectory: true };
        bool intoDirectory = destIsDirectory || destExistsAsDir || matches.Count > 1 || matches.Any(m => m.Root.Status.IsDirectory);
        var dirOwner = owner ?? (0, 0);

        foreach (var match in matches)
        {
            if (match.Root.Status.IsDirectory)
            {
                diff.EnsureDirectory(destPath, DefaultDirMode, dirOwner.Uid, dirOwner.Gid);
                foreach (var entry in match.Descendants)
                {
                    var relative = entry.RelativePath[(match.Root.RelativePath.Length == 0 ? 0 : match.Root.RelativePath.Length + 1)..];
                    CopyEntry(diff, source, entry, Join(destPath, relative), owner, mode);
                }
            }
            else
            {
                var target = intoDirectory ? Join(destPath, match.Name) : destPath;
                var parent = Parent(target);
                diff.EnsureDirectory(parent, DefaultDirMode, dirOwner.Uid, dirOwner.Gid);
                CopyEntry(diff, source, match.Root, target, owner, mode);
            }
        }
    }

    private static void CopyEntry(DiffWriter diff, ICopySource source, SourceEntry entry, string targetRelative, (uint Uid, uint Gid)? owner, uint? mode)
    {
        var target = diff.HostPath(targetRelative);
        var status = entry.Status;
        var existing = Libc.TryStatNoFollow(target);
        if (existing is not null && !(existing.Value.IsDirectory && status.IsDirectory)) DiffWriter.RemoveEntry(target);

        if (status.IsDirectory)
        {
            diff.EnsureDirectory(Parent(targetRelative), DefaultDirMode, owner?.Uid ?? 0, owner?.Gid ?? 0);
            Directory.CreateDirectory(target);
        }
        else if (status.IsSymbolicLink)
        {
            File.CreateSymbolicLink(target, new FileInfo(entry.HostPath).LinkTarget!);
        }
        else if (status.IsRegularFile)
        {
            File.Copy(entry.HostPath, target, overwrite: true);
        }
        else
        {
            // Devices, fifos and sockets in a build context are skipped, as BuildKit's context transfer does.
            if (!source.PreservesOwnership) return;
            throw new BuildException($"cannot copy special file /{entry.RelativePath} from another stage yet");
        }

        var (uid, gid) = owner ?? (source.PreservesOwnership ? (status.Uid, status.Gid) : (0u, 0u));
        diff.SetOwner(targetRelative, uid, gid);
        if (!status.IsSymbolicLink)
        {
            DiffWriter.SetMode(target, mode ?? status.Permissions);
            DiffWriter.SetMtime(target, status.MtimeSeconds, status.MtimeNanoseconds);
        }
    }

    private static string Join(string directory, string name) => directory.Length == 0 ? name : name.Length == 0 ? directory : directory + "/" + name;

    private static string Parent(string relative)
    {
        var slash = relative.LastIndexOf('/');
        return slash < 0 ? "" : relative[..slash];
    }
}
