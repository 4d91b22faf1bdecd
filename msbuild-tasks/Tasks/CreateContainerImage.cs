using System.Globalization;
using System.Text;
using Csbuild.Containers.Image;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MsBuildTask = Microsoft.Build.Utilities.Task;

namespace Csbuild.Containers.Tasks;

/// <summary>
/// The PublishContainer work: the publish directory becomes an image on top of the base image, stored in the csbuild
/// root, pushed to ContainerRegistry or written to ContainerArchiveOutputPath. Parameter and output names are those of
/// the .NET SDK's CreateNewImage task, plus csbuild's layering, ownership and reproducibility settings.
/// </summary>
public sealed class CreateContainerImage : MsBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string PublishDirectory { get; set; } = "";
    /// <summary>ContainerBaseImage; not used with a Dockerfile (its FROM lines name the base images).</summary>
    public string BaseImage { get; set; } = "";
    [Required] public string Repository { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";

    /// <summary>ResolvedFileToPublish: RelativePath plus NuGetPackageId / ReferenceSourceTarget tell which layer a file goes to.</summary>
    public ITaskItem[] PublishFiles { get; set; } = [];
    public string OutputRegistry { get; set; } = "";
    public ITaskItem[] ImageTags { get; set; } = [];
    public string WorkingDirectory { get; set; } = "/app/";
    public ITaskItem[] Entrypoint { get; set; } = [];
    public ITaskItem[] EntrypointArgs { get; set; } = [];
    public ITaskItem[] AppCommand { get; set; } = [];
    public ITaskItem[] AppCommandArgs { get; set; } = [];
    public ITaskItem[] DefaultArgs { get; set; } = [];
    public string AppCommandInstruction { get; set; } = "";
    public ITaskItem[] Labels { get; set; } = [];
    public ITaskItem[] ExposedPorts { get; set; } = [];
    public ITaskItem[] ContainerEnvironmentVariables { get; set; } = [];
    public string ContainerRuntimeIdentifier { get; set; } = "linux-x64";
    public string ContainerUser { get; set; } = "";
    public string ArchiveOutputPath { get; set; } = "";
    public string ImageFormat { get; set; } = "";
    public bool GenerateLabels { get; set; } = true;
    public string Layering { get; set; } = "";
    public string FileOwner { get; set; } = "";
    public string FileMode { get; set; } = "";
    public string SourceDateEpoch { get; set; } = "";
    public string ProjectDirectory { get; set; } = "";
    public string CsbuildRoot { get; set; } = "";
    public string InsecureRegistries { get; set; } = "";
    /// <summary>One platform of a ContainerRuntimeIdentifiers publish: stored as TAG-RID in the csbuild root only (the index is published).</summary>
    public bool PlatformImageOnly { get; set; }
    /// <summary>ContainerDockerfile: build this Dockerfile with the publish directory as its context instead of adding layers.</summary>
    public string Dockerfile { get; set; } = "";
    /// <summary>ContainerBuildArg items (Value metadata): the Dockerfile's build arguments.</summary>
    public ITaskItem[] BuildArgs { get; set; } = [];
    /// <summary>ContainerOciRuntime: the OCI runtime for the Dockerfile's RUN steps (runc when empty).</summary>
    public string OciRuntime { get; set; } = "";

    [Output] public string GeneratedContainerManifest { get; private set; } = "";
    [Output] public string GeneratedContainerConfiguration { get; private set; } = "";
    [Output] public string GeneratedContainerDigest { get; private set; } = "";
    [Output] public string GeneratedContainerMediaType { get; private set; } = "";
    [Output] public string GeneratedArchiveOutputPath { get; private set; } = "";
    [Output] public ITaskItem[] GeneratedContainerNames { get; private set; } = [];
    /// <summary>One item per added layer (blob digest), with Name, DiffId, Size and Reused metadata.</summary>
    [Output] public ITaskItem[] GeneratedContainerLayers { get; private set; } = [];

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var request = CreateRequest();
            void Progress(string line) => Log.LogMessage(MessageImportance.Normal, "csbuild: " + line);
            var result = request.Dockerfile is null
                ? new ContainerImageBuilder(request, Progress).BuildAsync(_cancel.Token).GetAwaiter().GetResult()
                : BuildFromDockerfile(request, Progress);
            GeneratedContainerManifest = Encoding.UTF8.GetString(result.ManifestJson);
            GeneratedContainerConfiguration = Encoding.UTF8.GetString(result.ConfigJson);
            GeneratedContainerDigest = result.Digest.ToString();
            GeneratedContainerMediaType = result.Manifest.MediaType;
            GeneratedArchiveOutputPath = result.ArchivePath ?? "";
            GeneratedContainerNames = result.Names.Select(n => (ITaskItem)new TaskItem(n)).ToArray();
            GeneratedContainerLayers = result.Layers.Select(l =>
            {
                var item = new TaskItem(l.BlobDigest.ToString());
                item.SetMetadata("Name", l.Name);
                item.SetMetadata("DiffId", l.DiffId.ToString());
                item.SetMetadata("Size", l.BlobSize.ToString(CultureInfo.InvariantCulture));
                item.SetMetadata("Reused", l.Reused ? "true" : "false");
                return (ITaskItem)item;
            }).ToArray();
            foreach (var (diagnostic, message) in result.Warnings)
                Log.LogWarning("Containers", diagnostic.Code, null, diagnostic.HelpLink, null, 0, 0, 0, 0, $"{message} ({diagnostic.Help})");
            Log.LogMessage(MessageImportance.High, $"Csbuild.Containers: built image {string.Join(", ", result.Names)} ({result.Digest})");
            Log.LogMessage(MessageImportance.Normal, $"csbuild: done in {clock.ElapsedMilliseconds} ms");
            return true;
        }
        catch (ContainerBuildException e)
        {
            LogError(e.Diagnostic, e.Message);
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            Log.LogWarning("PublishContainer was cancelled");
        }
        return false;
    }

    // Kept out of Execute, so the frontend's assemblies (and Sprache) load only for a Dockerfile build.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private ContainerResult BuildFromDockerfile(ContainerRequest request, Action<string> progress) =>
        new DockerfileImageBuilder(request, progress).BuildAsync(_cancel.Token).GetAwaiter().GetResult();

    private void LogError(ContainerDiagnostic diagnostic, string message) =>
        Log.LogError(subcategory: "Containers", errorCode: diagnostic.Code, helpKeyword: null, helpLink: diagnostic.HelpLink, file: null,
            lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: $"{message} ({diagnostic.Help})");

    internal ContainerRequest CreateRequest() => new()
    {
        PublishDirectory = PublishDirectory,
        PublishFiles = PublishFiles.Select(i => ContainerPropertyParser.ToPublishFile(i.ItemSpec, i.GetMetadata)).ToList(),
        BaseImage = BaseImage.Trim(),
        Registry = OutputRegistry.Trim(),
        Repository = Repository.Trim(),
        Tags = ImageTags.Select(t => t.ItemSpec.Trim()).Where(t => t.Length > 0).ToList() is { Count: > 0 } tags ? tags : ["latest"],
        WorkingDirectory = ContainerPropertyParser.NormalizeWorkingDirectory(WorkingDirectory),
        RuntimeIdentifier = string.IsNullOrWhiteSpace(ContainerRuntimeIdentifier) ? "linux-x64" : ContainerRuntimeIdentifier,
        Ports = ExposedPorts.Select(i => ContainerPropertyParser.ParsePort(i.ItemSpec, i.GetMetadata("Type"))).ToList(),
        EnvironmentVariables = ContainerEnvironmentVariables.Select(i => KeyValuePair.Create(i.ItemSpec, i.GetMetadata("Value"))).ToList(),
        Labels = Labels.Select(i => KeyValuePair.Create(i.ItemSpec, i.GetMetadata("Value"))).ToList(),
        User = string.IsNullOrWhiteSpace(ContainerUser) ? null : ContainerUser.Trim(),
        Entrypoint = Entrypoint.Select(i => i.ItemSpec).ToList(),
        EntrypointArgs = EntrypointArgs.Select(i => i.ItemSpec).ToList(),
        AppCommand = AppCommand.Select(i => i.ItemSpec).ToList(),
        AppCommandArgs = AppCommandArgs.Select(i => i.ItemSpec).ToList(),
        DefaultArgs = DefaultArgs.Select(i => i.ItemSpec).ToList(),
        AppCommandInstruction = ContainerPropertyParser.ParseInstruction(AppCommandInstruction),
        ArchiveOutputPath = string.IsNullOrWhiteSpace(ArchiveOutputPath) ? null : ArchiveOutputPath,
        ImageFormat = string.IsNullOrWhiteSpace(ImageFormat) ? null : ImageFormat,
        GenerateLabels = GenerateLabels,
        Layering = ContainerPropertyParser.ParseLayering(Layering),
        FileOwner = ContainerPropertyParser.ParseOwner(FileOwner),
        FileMode = ContainerPropertyParser.ParseMode(FileMode),
        SourceDateEpoch = Image.SourceDateEpoch.Resolve(
            string.IsNullOrWhiteSpace(SourceDateEpoch) ? Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH") : SourceDateEpoch, ProjectDirectory),
        IntermediateDirectory = Path.GetFullPath(IntermediateDirectory),
        CsbuildRoot = string.IsNullOrWhiteSpace(CsbuildRoot) ? Cache.CsbuildRoot.DefaultPath() : CsbuildRoot,
        InsecureRegistries = InsecureRegistries.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        PlatformImageOnly = PlatformImageOnly,
        Dockerfile = string.IsNullOrWhiteSpace(Dockerfile) ? null : Path.GetFullPath(Dockerfile, string.IsNullOrEmpty(ProjectDirectory) ? Environment.CurrentDirectory : ProjectDirectory),
        BuildArgs = ContainerPropertyParser.ParseBuildArgs(BuildArgs.Select(i => (i.ItemSpec, i.GetMetadata("Value")))),
        OciRuntime = string.IsNullOrWhiteSpace(OciRuntime) ? null : OciRuntime.Trim(),
    };
}
