using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>ENV → the image config's Env and the environment of later steps. Every pair sees the environment before the instruction.</summary>
internal static class EnvConversion
{
    public static void Apply(EnvInstruction env, StageState state, ConversionContext ctx)
    {
        var before = state.RunEnv.Clone();
        var pairs = env.Pairs.Select(p => (Key: ctx.Expand(env, p.Key, state, before.Get), Value: ctx.Expand(env, p.Value, state, before.Get))).ToList();
        foreach (var (key, value) in pairs)
        {
            if (key.Length == 0) throw ctx.Error(env, "ENV names can not be blank");
            state.RunEnv.Set(key, value);
            state.Config.Config.Env = EnvList.SetIn(state.Config.Config.Env, key, value);
        }
        state.AddHistory("ENV " + string.Join(' ', pairs.Select(p => p.Key + "=" + p.Value)), null);
    }
}
