using Csbuild.Frontend.Instructions;
using Csbuild.Oci.Model;

namespace Csbuild.Frontend.Conversion;

/// <summary>VOLUME → the image config's Volumes.</summary>
internal static class VolumeConversion
{
    public static void Apply(VolumeInstruction volume, StageState state, ConversionContext ctx)
    {
        var paths = volume.Volumes.Select(v => ctx.Expand(volume, v, state)).ToList();
        state.Config.Config.Volumes ??= [];
        foreach (var path in paths)
        {
            if (path.Trim().Length == 0) throw ctx.Error(volume, "VOLUME specified can not be an empty string");
            state.Config.Config.Volumes[path] = new EmptyObject();
        }
        state.AddHistory("VOLUME " + GoFormat.List(paths), null);
    }
}
