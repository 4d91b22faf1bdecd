namespace Csbuild.Containers;

/// <summary>A diagnostic code of the package with its help text; MSBuild shows the code, the message and the help link.</summary>
public sealed record ContainerDiagnostic(string Code, string Title, string Help)
{
    public const string HelpBase = "https://github.com/csbuild/csbuild/blob/main/msbuild-tasks/README.md#";

    public string HelpLink => HelpBase + Code.ToLowerInvariant();

    public static readonly ContainerDiagnostic InvalidProperty = new("CSB001", "invalid container property",
        "A Container* property or item has a value that is not valid; the message names it and the expected form.");
    public static readonly ContainerDiagnostic BaseImageUnavailable = new("CSB002", "base image cannot be pulled",
        "The base image (ContainerBaseImage, or the one inferred from the target framework) could not be fetched from its registry. "
        + "Check the name, network access, and credentials (docker config.json or DOTNET_CONTAINER_PULL_REGISTRY_UNAME/PWORD).");
    public static readonly ContainerDiagnostic PushFailed = new("CSB003", "image cannot be pushed",
        "The registry refused the image or could not be reached. Check ContainerRegistry and the push credentials "
        + "(docker config.json or DOTNET_CONTAINER_PUSH_REGISTRY_UNAME/PWORD).");
    public static readonly ContainerDiagnostic PublishOutputMissing = new("CSB004", "publish output missing",
        "PublishContainer packs the publish directory; it is missing or empty. Run the Publish target first (dotnet publish does).");
    public static readonly ContainerDiagnostic UnsupportedRuntime = new("CSB005", "unsupported runtime identifier",
        "Images are built for Linux runtime identifiers (linux-x64, linux-arm64, linux-musl-x64, ...). Set ContainerRuntimeIdentifier.");
    public static readonly ContainerDiagnostic ArchiveFailed = new("CSB006", "archive cannot be written",
        "ContainerArchiveOutputPath could not be written; check that its directory is writable.");
    public static readonly ContainerDiagnostic RootUnavailable = new("CSB007", "csbuild root cannot be opened",
        "The csbuild root (CSBUILD_ROOT or ContainerCsbuildRoot; default $XDG_DATA_HOME/csbuild, /var/lib/csbuild as root) could not be opened.");
    public static readonly ContainerDiagnostic NotSupported = new("CSB008", "not supported",
        "The requested combination is not supported by this version of Csbuild.Containers; the message says what to use instead.");
    public static readonly ContainerDiagnostic RuntimeIdentifierNotRestored = new("CSB009", "runtime identifier not restored",
        "Each of ContainerRuntimeIdentifiers is published separately, which needs restore to have prepared it: list every one of them in the project's "
        + "RuntimeIdentifiers (as for the .NET SDK's multi-architecture images).");
    public static readonly ContainerDiagnostic RunStepsNeedRoot = new("CSB010", "Dockerfile RUN steps need root and runc",
        "ContainerDockerfile builds without root and without a container runtime only while the Dockerfile has no RUN step. RUN steps execute in "
        + "containers: publish as root with runc installed (apt-get install runc; ContainerOciRuntime names another runtime), or move the RUN work out of the Dockerfile.");
    public static readonly ContainerDiagnostic DockerfileFailed = new("CSB011", "Dockerfile build failed",
        "The ContainerDockerfile could not be built: the message gives the Dockerfile location or the failing step and its error.");
    public static readonly ContainerDiagnostic NoEntrypoint = new("CSB101", "image has no entrypoint",
        "ContainerAppCommandInstruction=None and the base image has no entrypoint or command: the container will not start anything.");
    public static readonly ContainerDiagnostic DockerfileWarning = new("CSB102", "Dockerfile check warning",
        "A build check of the ContainerDockerfile (the same checks as 'csbuild build --check' and BuildKit's) found something to fix.");
}

/// <summary>A failure the user can act on, carrying its diagnostic code; anything else is reported as an internal error.</summary>
public sealed class ContainerBuildException(ContainerDiagnostic diagnostic, string message, Exception? inner = null) : Exception(message, inner)
{
    public ContainerDiagnostic Diagnostic { get; } = diagnostic;
}
