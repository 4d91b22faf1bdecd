using Csbuild.Containers.Image;
using Microsoft.Build.Framework;
using MsBuildTask = Microsoft.Build.Utilities.Task;

namespace Csbuild.Containers.Tasks;

/// <summary>ContainerBaseImage when the project does not set it: the image the .NET SDK would choose (see <see cref="BaseImageInference"/>).</summary>
public sealed class InferContainerBaseImage : MsBuildTask
{
    [Required] public string TargetFrameworkVersion { get; set; } = "";
    public bool IsSelfContained { get; set; }
    public bool UsesAspNetCore { get; set; }
    public string RuntimeIdentifier { get; set; } = "";
    public string ContainerFamily { get; set; } = "";

    [Output] public string BaseImage { get; private set; } = "";

    public override bool Execute()
    {
        try
        {
            BaseImage = BaseImageInference.Infer(TargetFrameworkVersion, IsSelfContained, UsesAspNetCore, RuntimeIdentifier, ContainerFamily);
            Log.LogMessage(MessageImportance.Normal, $"csbuild: base image {BaseImage} (inferred; set ContainerBaseImage to choose another)");
            return true;
        }
        catch (ContainerBuildException e)
        {
            Log.LogError("Containers", e.Diagnostic.Code, null, e.Diagnostic.HelpLink, null, 0, 0, 0, 0, $"{e.Message} ({e.Diagnostic.Help})");
            return false;
        }
    }
}
