using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>
/// ENTRYPOINT → the image config's Entrypoint. As in Docker, it clears a CMD inherited from the base image
/// (a CMD set earlier in the same stage stays).
/// </summary>
internal static class EntrypointConversion
{
    public static void Apply(EntrypointInstruction entrypoint, StageState state, ConversionContext ctx)
    {
        _ = ctx;
        List<string> args = entrypoint.PrependShell ? [.. state.Shell, .. entrypoint.Command] : [.. entrypoint.Command];
        state.Config.Config.Entrypoint = args;
        if (!state.CmdSet) state.Config.Config.Cmd = null;
        state.AddHistory("ENTRYPOINT " + GoFormat.QuoteList(args), null);
    }
}
