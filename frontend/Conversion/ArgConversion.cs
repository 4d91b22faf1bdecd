using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>
/// ARG inside a stage, as BuildKit's dispatchArg: the value is the --build-arg if given, else the default
/// (expanded), else the global ARG of the same name. It goes into the environment of later RUN steps and
/// expansions (replacing an ENV of the same name there, as BuildKit does), never into the image config; a later
/// ENV of the same name overrides it again. History records the resolved value.
/// </summary>
internal static class ArgConversion
{
    public static void Apply(ArgInstruction arg, StageState state, ConversionContext ctx)
    {
        var written = new List<string>();
        foreach (var decl in arg.Args)
        {
            var name = ctx.Expand(arg, decl.Name, state);
            var value = ctx.Args.BuildArg(name);
            if (value is null && decl.DefaultValue is not null) value = ctx.Expand(arg, decl.DefaultValue, state);
            value ??= ctx.Args.LookupGlobal(name);
            state.DeclareArg(name, value);
            if (value is not null) state.RunEnv.Set(name, value);
            written.Add(value is null ? name : name + "=" + value);
        }
        state.AddHistory("ARG " + string.Join(' ', written), null);
    }
}
