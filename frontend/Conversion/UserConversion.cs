using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>USER → the image config's User, and the user of later RUN steps.</summary>
internal static class UserConversion
{
    public static void Apply(UserInstruction user, StageState state, ConversionContext ctx)
    {
        var value = ctx.Expand(user, user.User, state);
        if (value.Length == 0) throw ctx.Error(user, "USER requires exactly one argument");
        state.Config.Config.User = value;
        state.AddHistory("USER " + value, null);
    }
}
