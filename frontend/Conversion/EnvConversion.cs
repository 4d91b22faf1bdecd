using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>ENV → the image config's Env and the environment of later steps. Every pair sees the environment before the instruction.</summary>
internal static class EnvConversion
{
    public static void Apply(EnvInstruction env, StageState state, ConversionContext ctx)
    {
        // Every pair is expanded before any is set: "ENV a=1 b=$a" gives b the previous value of a, as in Docker.
        var pairs = env.Pairs.Select(p => (Key: ctx.Expand(env, p.Key, state), Value: ctx.Expand(env, p.Value, state))).ToList();
        foreach (var (key, value) in pairs)
        {
            if (key.Length == 0) throw ctx.Error(env, "ENV names can not be blank");
            state.RunEnv.Set(key, value);
            state.SetConfigEnv(key, value);
        }
        state.AddHistory("ENV " + string.Join(' ', pairs.Select(p => p.Key + "=" + p.Value)), null);
    }
}
