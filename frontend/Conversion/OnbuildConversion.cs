using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>ONBUILD → a trigger appended to the image config's OnBuild list, as written (no history entry, as in BuildKit).</summary>
internal static class OnbuildConversion
{
    public static void Apply(OnbuildInstruction onbuild, StageState state, ConversionContext ctx)
    {
        _ = ctx;
        (state.Config.Config.OnBuild ??= []).Add(onbuild.Expression);
    }
}
