using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>LABEL → the image config's Labels.</summary>
internal static class LabelConversion
{
    public static void Apply(LabelInstruction label, StageState state, ConversionContext ctx)
    {
        var pairs = label.Pairs.Select(p => (Key: ctx.Expand(label, p.Key, state), Value: ctx.Expand(label, p.Value, state))).ToList();
        state.Config.Config.Labels ??= [];
        foreach (var (key, value) in pairs)
        {
            if (key.Length == 0) throw ctx.Error(label, "LABEL names can not be blank");
            state.Config.Config.Labels[key] = value;
        }
        state.AddHistory("LABEL " + string.Join(' ', pairs.Select(p => p.Key + "=" + p.Value)), null);
    }
}
