namespace Csbuild.Containers.Image;

/// <summary>Maps a .NET runtime identifier (linux-x64, linux-musl-arm64, ...) to the OCI platform of its image.</summary>
public static class RuntimePlatform
{
    /// <returns><c>linux/amd64</c>, <c>linux/arm64</c>, <c>linux/arm/v7</c>, ...</returns>
    /// <exception cref="ContainerBuildException">CSB005 for non-Linux or unknown architectures.</exception>
    public static string ToPlatform(string runtimeIdentifier)
    {
        var rid = runtimeIdentifier.Trim().ToLowerInvariant();
        int dash = rid.LastIndexOf('-');
        if (dash <= 0 || !rid.StartsWith("linux", StringComparison.Ordinal))
            throw new ContainerBuildException(ContainerDiagnostic.UnsupportedRuntime,
                $"ContainerRuntimeIdentifier '{runtimeIdentifier}' is not a Linux runtime identifier (e.g. linux-x64, linux-arm64)");
        var architecture = rid[(dash + 1)..] switch
        {
            "x64" => "amd64",
            "arm64" => "arm64",
            "arm" => "arm/v7",
            "x86" => "386",
            "s390x" => "s390x",
            "ppc64le" => "ppc64le",
            "riscv64" => "riscv64",
            "loongarch64" => "loong64",
            var other => throw new ContainerBuildException(ContainerDiagnostic.UnsupportedRuntime,
                $"ContainerRuntimeIdentifier '{runtimeIdentifier}': architecture '{other}' has no container platform"),
        };
        return "linux/" + architecture;
    }

    /// <summary>
    /// The base image must be built for <paramref name="platform"/>: a single-platform base of another architecture
    /// would give an image whose runtime cannot start (the SDK refuses it too). Multi-platform bases are resolved to the
    /// right manifest when pulled, so this only trips on single-platform ones.
    /// </summary>
    /// <exception cref="ContainerBuildException">CSB005 naming both platforms.</exception>
    public static void EnsureMatches(Csbuild.Oci.Model.ImageConfig baseConfig, string platform, string baseName)
    {
        var parts = platform.Split('/');
        var variantMatches = parts.Length < 3 || baseConfig.Variant is null || baseConfig.Variant == parts[2];
        if (baseConfig.Os == parts[0] && baseConfig.Architecture == parts[1] && variantMatches) return;
        var actual = baseConfig.Variant is null ? $"{baseConfig.Os}/{baseConfig.Architecture}" : $"{baseConfig.Os}/{baseConfig.Architecture}/{baseConfig.Variant}";
        throw new ContainerBuildException(ContainerDiagnostic.UnsupportedRuntime,
            $"base image {baseName} is built for {actual}, not {platform}: use a multi-platform base image (an image index) or a base image for {platform}");
    }
}
