using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>SHELL → the image config's Shell, used for later shell-form RUN, CMD and ENTRYPOINT.</summary>
internal static class ShellConversion
{
    public static void Apply(ShellInstruction shell, StageState state, ConversionContext ctx)
    {
        _ = ctx;
        state.Config.Config.Shell = [.. shell.Shell];
        state.AddHistory("SHELL " + GoFormat.List(shell.Shell), null);
    }
}
