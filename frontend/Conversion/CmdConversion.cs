using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>CMD → the image config's Cmd (shell form wrapped in the stage's SHELL).</summary>
internal static class CmdConversion
{
    public static void Apply(CmdInstruction cmd, StageState state, ConversionContext ctx)
    {
        _ = ctx;
        List<string> args = cmd.PrependShell ? [.. state.Shell, .. cmd.Command] : [.. cmd.Command];
        state.Config.Config.Cmd = args;
        // BuildKit sets it for every CMD (a Docker image spec field kept for compatibility).
        state.Config.Config.ArgsEscaped = true;
        state.CmdSet = true;
        state.AddHistory("CMD " + GoFormat.QuoteList(args), null);
    }
}
