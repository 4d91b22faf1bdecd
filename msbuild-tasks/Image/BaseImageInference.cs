namespace Csbuild.Containers.Image;

/// <summary>
/// The base image the .NET SDK picks when ContainerBaseImage is not set: mcr.microsoft.com/dotnet/runtime-deps for
/// self-contained (and AOT) apps, aspnet for apps referencing Microsoft.AspNetCore.App, runtime otherwise; the tag is
/// the target framework's major.minor, with -alpine for musl runtimes and -ContainerFamily when given.
/// </summary>
public static class BaseImageInference
{
    public const string MicrosoftRegistry = "mcr.microsoft.com";

    public static string Infer(string targetFrameworkVersion, bool selfContained, bool usesAspNetCore, string runtimeIdentifier, string? family)
    {
        var version = targetFrameworkVersion.TrimStart('v', 'V');
        var parts = version.Split('.');
        if (parts.Length < 2 || !int.TryParse(parts[0], out var major) || !int.TryParse(parts[1], out var minor))
            throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty,
                $"cannot infer a base image from target framework version '{targetFrameworkVersion}'; set ContainerBaseImage");
        if (major < 6)
            throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty,
                $"the .NET {major}.{minor} images are not published any more; set ContainerBaseImage");

        var repository = selfContained ? "runtime-deps" : usesAspNetCore ? "aspnet" : "runtime";
        var tag = $"{major}.{minor}";
        if (!string.IsNullOrWhiteSpace(family)) tag += "-" + family.Trim();
        else if (runtimeIdentifier.Contains("-musl-", StringComparison.OrdinalIgnoreCase)) tag += "-alpine";
        return $"{MicrosoftRegistry}/dotnet/{repository}:{tag}";
    }
}
