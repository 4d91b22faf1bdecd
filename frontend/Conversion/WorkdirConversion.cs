using Csbuild.Frontend.Instructions;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Conversion;

/// <summary>WORKDIR → config WorkingDir, and a mkdir of it (owned by the current USER) as BuildKit does.</summary>
internal static class WorkdirConversion
{
    public static void Apply(WorkdirInstruction workdir, StageState state, ConversionContext ctx)
    {
        var path = ctx.Expand(workdir, workdir.Path, state);
        if (path.Length == 0) throw ctx.Error(workdir, "WORKDIR requires exactly one argument");
        var dir = UnixPath.Resolve(state.WorkingDir, path);
        state.Config.Config.WorkingDir = dir;
        Vertex? layer = null;
        if (dir != "/")
        {
            var op = new FileOp([new MkdirAction(dir, 0b111_101_101, Owner(state.Config.Config.User))]);
            layer = state.State = ctx.NewVertex(state, op, state.StepName(RunConversion.DisplayText(workdir, state, ctx)), state.State);
        }
        state.AddPlainHistory("WORKDIR " + dir, layer);
    }

    internal static Chown? Owner(string? user)
    {
        if (string.IsNullOrEmpty(user)) return null;
        var colon = user.IndexOf(':');
        return colon < 0 ? new Chown(user, null) : new Chown(user[..colon], user[(colon + 1)..]);
    }
}
