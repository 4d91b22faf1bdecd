using System.Text;
using Csbuild.Containers.Image;
using Csbuild.Oci.Model;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MsBuildTask = Microsoft.Build.Utilities.Task;

namespace Csbuild.Containers.Tasks;

/// <summary>
/// The last step of a multi-architecture PublishContainer (ContainerRuntimeIdentifiers): the platform images of the
/// inner publishes become one image index, named, archived or pushed like a single image. Parameter and output names
/// follow the .NET SDK's CreateImageIndex task.
/// </summary>
public sealed class CreateContainerImageIndex : MsBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>The inner publishes' GeneratedContainer items: ManifestDigest and RuntimeIdentifier metadata.</summary>
    [Required] public ITaskItem[] GeneratedContainers { get; set; } = [];
    [Required] public string Repository { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";
    public string OutputRegistry { get; set; } = "";
    public ITaskItem[] ImageTags { get; set; } = [];
    public string ArchiveOutputPath { get; set; } = "";
    public string ImageFormat { get; set; } = "";
    public string CsbuildRoot { get; set; } = "";
    public string InsecureRegistries { get; set; } = "";

    [Output] public string GeneratedImageIndex { get; private set; } = "";
    [Output] public string GeneratedContainerDigest { get; private set; } = "";
    [Output] public string GeneratedContainerMediaType { get; private set; } = "";
    [Output] public string GeneratedArchiveOutputPath { get; private set; } = "";
    [Output] public ITaskItem[] GeneratedContainerNames { get; private set; } = [];

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        try
        {
            var images = GeneratedContainers.Select(i => new PlatformImage(i.GetMetadata("RuntimeIdentifier"), Digest.Parse(i.GetMetadata("ManifestDigest")))).ToList();
            var request = new ContainerRequest
            {
                PublishDirectory = "",
                BaseImage = "",
                Registry = OutputRegistry.Trim(),
                Repository = Repository.Trim(),
                Tags = ImageTags.Select(t => t.ItemSpec.Trim()).Where(t => t.Length > 0).ToList() is { Count: > 0 } tags ? tags : ["latest"],
                ArchiveOutputPath = string.IsNullOrWhiteSpace(ArchiveOutputPath) ? null : ArchiveOutputPath,
                ImageFormat = string.IsNullOrWhiteSpace(ImageFormat) ? null : ImageFormat,
                IntermediateDirectory = Path.GetFullPath(IntermediateDirectory),
                CsbuildRoot = string.IsNullOrWhiteSpace(CsbuildRoot) ? Cache.CsbuildRoot.DefaultPath() : CsbuildRoot,
                InsecureRegistries = InsecureRegistries.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            };
            var builder = new ContainerImageIndexBuilder(request, line => Log.LogMessage(MessageImportance.Normal, "csbuild: " + line));
            var result = builder.BuildAsync(images, _cancel.Token).GetAwaiter().GetResult();
            GeneratedImageIndex = Encoding.UTF8.GetString(result.IndexJson);
            GeneratedContainerDigest = result.Index.Digest;
            GeneratedContainerMediaType = result.Index.MediaType;
            GeneratedArchiveOutputPath = result.ArchivePath ?? "";
            GeneratedContainerNames = result.Names.Select(n => (ITaskItem)new TaskItem(n)).ToArray();
            Log.LogMessage(MessageImportance.High,
                $"Csbuild.Containers: built image index {string.Join(", ", result.Names)} ({result.Index.Digest}) for {string.Join(", ", images.Select(i => i.RuntimeIdentifier))}");
            return true;
        }
        catch (ContainerBuildException e)
        {
            Log.LogError("Containers", e.Diagnostic.Code, null, e.Diagnostic.HelpLink, null, 0, 0, 0, 0, $"{e.Message} ({e.Diagnostic.Help})");
        }
        catch (FormatException e)
        {
            Log.LogError("Containers", ContainerDiagnostic.InvalidProperty.Code, null, ContainerDiagnostic.InvalidProperty.HelpLink, null, 0, 0, 0, 0,
                $"a platform image has no valid ManifestDigest: {e.Message}");
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            Log.LogWarning("PublishContainer was cancelled");
        }
        return false;
    }
}
