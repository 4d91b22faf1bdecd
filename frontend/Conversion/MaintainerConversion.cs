using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>MAINTAINER → the image config's author (not expanded, as in BuildKit).</summary>
internal static class MaintainerConversion
{
    public static void Apply(MaintainerInstruction maintainer, StageState state, ConversionContext ctx)
    {
        _ = ctx;
        state.Config.Author = maintainer.Maintainer;
        state.AddHistory("MAINTAINER " + maintainer.Maintainer, null);
    }
}
