using Csbuild.Executor.Native;
using Csbuild.Oci.Native;

namespace Csbuild.Executor;

/// <summary>
/// Resolves a USER value ("name", "uid", "name:group", "uid:gid", or empty for root) against the image's
/// /etc/passwd and /etc/group, with the rules and error messages of Docker/runc (libcontainer's GetExecUser):
/// a numeric id needs no entry, a name does; supplementary groups are only computed when no group is given.
/// </summary>
public static class UserResolver
{
    private const long MaxId = int.MaxValue;

    /// <param name="rootfs">The host path of the container's root filesystem (e.g. the merged overlay mount).</param>
    /// <param name="userSpec">The USER value; null or empty means root.</param>
    public static ResolvedUser Resolve(string rootfs, string? userSpec)
    {
        userSpec ??= "";
        var colon = userSpec.IndexOf(':');
        var userArg = colon < 0 ? userSpec : userSpec[..colon];
        var groupArg = colon < 0 ? "" : userSpec[(colon + 1)..];
        var userIsNumeric = TryParseId(userArg, out var uidArg);
        var groupIsNumeric = TryParseId(groupArg, out var gidArg);

        uint uid = 0, gid = 0;
        var home = "/";
        string? matchedName = null;

        var passwd = ReadImageFile(rootfs, "/etc/passwd");
        var match = passwd?.Select(ParsePasswdLine).FirstOrDefault(entry => entry is { } e && (
            userArg.Length == 0 ? e.Uid == 0 :
            userIsNumeric ? e.Uid == uidArg :
            e.Name == userArg));
        if (match is { } user)
        {
            matchedName = user.Name;
            uid = user.Uid;
            gid = user.Gid;
            home = user.Home;
        }
        else if (userArg.Length > 0)
        {
            if (!userIsNumeric)
                throw new ExecutorException($"unable to find user {userArg}: no matching entries in passwd file");
            uid = uidArg;
        }

        var additionalGids = new List<uint>();
        if (groupArg.Length > 0 || matchedName is not null)
        {
            var groups = ReadImageFile(rootfs, "/etc/group")?.Select(ParseGroupLine).OfType<GroupEntry>() ?? [];
            if (groupArg.Length > 0)
            {
                GroupEntry? group = null;
                foreach (var candidate in groups)
                {
                    if (groupIsNumeric ? candidate.Gid == gidArg : candidate.Name == groupArg) { group = candidate; break; }
                }
                if (group is { } found) gid = found.Gid;
                else if (groupIsNumeric) gid = gidArg;
                else throw new ExecutorException($"unable to find group {groupArg}: no matching entries in group file");
            }
            else
            {
                // Supplementary groups only make sense when the group was not given explicitly.
                foreach (var group in groups)
                    if (group.Members.Contains(matchedName!) && !additionalGids.Contains(group.Gid))
                        additionalGids.Add(group.Gid);
            }
        }
        return new ResolvedUser(uid, gid, additionalGids, home);
    }

    private readonly record struct PasswdEntry(string Name, uint Uid, uint Gid, string Home);

    private readonly record struct GroupEntry(string Name, uint Gid, string[] Members);

    private static PasswdEntry? ParsePasswdLine(string line)
    {
        // name:password:uid:gid:gecos:home:shell
        var fields = line.Trim().Split(':');
        if (fields.Length < 4 || fields[0].Length == 0 || fields[0].StartsWith('#')) return null;
        if (!TryParseId(fields[2], out var uid) || !TryParseId(fields[3], out var gid)) return null;
        var home = fields.Length > 5 && fields[5].Length > 0 ? fields[5] : "/";
        return new PasswdEntry(fields[0], uid, gid, home);
    }

    private static GroupEntry? ParseGroupLine(string line)
    {
        // name:password:gid:member,member
        var fields = line.Trim().Split(':');
        if (fields.Length < 3 || fields[0].Length == 0 || fields[0].StartsWith('#')) return null;
        if (!TryParseId(fields[2], out var gid)) return null;
        var members = fields.Length > 3
            ? fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
        return new GroupEntry(fields[0], gid, members);
    }

    private static bool TryParseId(string text, out uint id)
    {
        id = 0;
        if (text.Length == 0 || !text.All(char.IsAsciiDigit)) return false;
        if (!long.TryParse(text, out var value) || value > MaxId)
            throw new ExecutorException($"user or group id {text} is out of range (0-{MaxId})");
        id = (uint)value;
        return true;
    }

    /// <summary>
    /// The lines of a file of the image, or null when it does not exist. The path is resolved inside the
    /// rootfs, and only a regular file is read (a FIFO planted at /etc/passwd must not hang the build).
    /// </summary>
    private static IEnumerable<string>? ReadImageFile(string rootfs, string containerPath)
    {
        var hostPath = RootfsPath.Resolve(rootfs, containerPath);
        var status = Libc.TryStatNoFollow(hostPath);
        if (status is not { IsRegularFile: true }) return null;
        return File.ReadLines(hostPath);
    }
}
