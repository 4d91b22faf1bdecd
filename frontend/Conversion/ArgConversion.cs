using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>
/// ARG inside a stage: declares a build argument for the rest of the stage. Its value (--build-arg, else the
/// default, else the global ARG of the same name) is in the environment of later RUN steps and expansions, but
/// not in the image config; an ENV of the same name wins over it.
/// </summary>
internal static class ArgConversion
{
    public static void Apply(ArgInstruction arg, StageState state, ConversionContext ctx)
    {
        var written = new List<string>();
        foreach (var decl in arg.Args)
        {
            var name = ctx.Expand(arg, decl.Name, state);
            var defaultValue = decl.DefaultValue is null ? null : ctx.Expand(arg, decl.DefaultValue, state);
            written.Add(defaultValue is null ? name : name + "=" + defaultValue);
            var value = ctx.Args.StageValue(name, defaultValue);
            state.DeclareArg(name, value);
            if (value is not null && !state.ConfigEnv.Contains(name)) state.RunEnv.Set(name, value);
        }
        state.AddHistory("ARG " + string.Join(' ', written), null);
    }
}
