using Csbuild.Solver.Graph;
using Csbuild.Solver.Snapshots;

namespace Csbuild.Solver.Ops;

/// <summary>Resolves <c>--chown=user:group</c> names to ids with the destination filesystem's /etc/passwd and /etc/group.</summary>
internal static class Owners
{
    public static (uint Uid, uint Gid) Resolve(Chown? owner, LayerChainView view)
    {
        if (owner is null) return (0, 0);
        uint uid;
        uint? primaryGid = null;
        if (uint.TryParse(owner.User, out var numericUser))
        {
            uid = numericUser;
        }
        else
        {
            var entry = FindEntry(view, "etc/passwd", owner.User)
                ?? throw new BuildException($"unable to find user {owner.User}: no matching entries in passwd file");
            uid = uint.Parse(entry[2]);
            primaryGid = entry.Length > 3 && uint.TryParse(entry[3], out var g) ? g : null;
        }
        if (owner.Group is null) return (uid, primaryGid ?? uid);
        if (uint.TryParse(owner.Group, out var numericGroup)) return (uid, numericGroup);
        var group = FindEntry(view, "etc/group", owner.Group)
            ?? throw new BuildException($"unable to find group {owner.Group}: no matching entries in group file");
        return (uid, uint.Parse(group[2]));
    }

    private static string[]? FindEntry(LayerChainView view, string file, string name)
    {
        var path = view.Find(view.Resolve(file, followFinal: true));
        if (path is null || !File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == name && uint.TryParse(fields[2], out _)) return fields;
        }
        return null;
    }
}
