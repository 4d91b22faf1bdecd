using Csbuild.Oci.Model;

namespace Csbuild.Solver.Registry;

/// <summary>Picks one platform's manifest out of an image index or Docker manifest list.</summary>
public static class PlatformSelector
{
    /// <summary>
    /// The index entry for <paramref name="platform"/> (<c>os/arch[/variant]</c>), or null when there is none.
    /// A requested variant must match (arm64 entries without a variant count as <c>v8</c>); without one, an entry
    /// with no variant is preferred, then the first of that os/arch, as containerd's matcher does.
    /// </summary>
    public static Descriptor? Select(ImageIndex index, string platform)
    {
        var wanted = PlatformSpec.Parse(platform);
        var candidates = index.Manifests
            .Where(m => MediaTypes.IsManifest(m.MediaType) || MediaTypes.IsIndex(m.MediaType) || m.MediaType.Length == 0)
            .Where(m => m.Platform is { } p && p.Os == wanted.Os && p.Architecture == wanted.Architecture)
            .ToList();
        if (wanted.Variant is { } variant)
            return candidates.FirstOrDefault(m => NormalizedVariant(m.Platform!) == variant);
        return candidates.FirstOrDefault(m => m.Platform!.Variant is null || NormalizedVariant(m.Platform!) == DefaultVariant(wanted.Architecture))
            ?? candidates.FirstOrDefault();
    }

    /// <summary>The platforms an index offers, for error messages.</summary>
    public static string Describe(ImageIndex index) =>
        string.Join(", ", index.Manifests.Where(m => m.Platform is not null).Select(m => m.Platform!.ToString()).Distinct());

    private static string? NormalizedVariant(Platform p) => p.Variant ?? DefaultVariant(p.Architecture);

    private static string? DefaultVariant(string architecture) => architecture == "arm64" ? "v8" : null;
}
