namespace Csbuild.Containers.Image;

/// <summary>How the publish output is split into layers.</summary>
public enum ContainerLayering
{
    /// <summary>NuGet dependencies, then project references, then the app's own files (Jib's split): a code change touches one small layer.</summary>
    Dependencies,
    /// <summary>Everything in one layer, as the .NET SDK does.</summary>
    Single,
}

/// <summary>Where a file of the publish output comes from, which decides its layer.</summary>
public enum PublishFileOrigin { NuGetPackage, ProjectReference, Application }

/// <summary>One file of the publish output as MSBuild describes it (ResolvedFileToPublish).</summary>
public sealed record PublishFile(string RelativePath, PublishFileOrigin Origin);

/// <summary>Which part of the app command goes where in the image config (ContainerAppCommandInstruction).</summary>
public enum AppCommandInstruction { Entrypoint, DefaultArgs, None }

/// <summary>A port to expose: number and protocol (tcp or udp).</summary>
public sealed record ContainerPort(int Number, string Protocol)
{
    public override string ToString() => $"{Number}/{Protocol}";
}

/// <summary>
/// Everything PublishContainer needs, independent of MSBuild so it can be built and tested directly.
/// Names follow the .NET SDK's Container* properties.
/// </summary>
public sealed record ContainerRequest
{
    public required string PublishDirectory { get; init; }

    /// <summary>What MSBuild knows about the published files; files not listed belong to the application.</summary>
    public IReadOnlyList<PublishFile> PublishFiles { get; init; } = [];

    /// <summary>The base image reference (ContainerBaseImage, or the inferred one).</summary>
    public required string BaseImage { get; init; }

    /// <summary>Registry to push to; empty means the csbuild local image store.</summary>
    public string? Registry { get; init; }

    public required string Repository { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = ["latest"];

    /// <summary>Absolute directory in the image, ending with '/'.</summary>
    public string WorkingDirectory { get; init; } = "/app/";

    public string RuntimeIdentifier { get; init; } = "linux-x64";

    public IReadOnlyList<ContainerPort> Ports { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> EnvironmentVariables { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];
    public string? User { get; init; }

    public IReadOnlyList<string> Entrypoint { get; init; } = [];
    public IReadOnlyList<string> EntrypointArgs { get; init; } = [];
    public IReadOnlyList<string> AppCommand { get; init; } = [];
    public IReadOnlyList<string> AppCommandArgs { get; init; } = [];
    public IReadOnlyList<string> DefaultArgs { get; init; } = [];
    /// <summary>Null: Entrypoint, unless ContainerEntrypoint is set or the base image has an entrypoint (then DefaultArgs), as the SDK decides.</summary>
    public AppCommandInstruction? AppCommandInstruction { get; init; }

    /// <summary>ContainerGenerateLabels: add org.opencontainers.image.created (SOURCE_DATE_EPOCH), base.name and base.digest.</summary>
    public bool GenerateLabels { get; init; } = true;

    /// <summary>Write the image to this tar file (or a file named after the repository in this directory) instead of pushing.</summary>
    public string? ArchiveOutputPath { get; init; }

    /// <summary>"OCI" or "Docker"; null follows the base image's format.</summary>
    public string? ImageFormat { get; init; }

    public ContainerLayering Layering { get; init; } = ContainerLayering.Dependencies;

    /// <summary>Owner of the added files (uid:gid); root when null, so images do not depend on who built them.</summary>
    public (int Uid, int Gid)? FileOwner { get; init; }

    /// <summary>Permission bits for added regular files (executables keep their execute bits); the files' own modes when null.</summary>
    public int? FileMode { get; init; }

    /// <summary>SOURCE_DATE_EPOCH: time of every added file and of the image; the Unix epoch when null (reproducible either way).</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }

    /// <summary>Working directory for staged layer trees (under obj/).</summary>
    public required string IntermediateDirectory { get; init; }

    /// <summary>The csbuild root shared with the CLI (content store, cache records, local images).</summary>
    public required string CsbuildRoot { get; init; }

    /// <summary>Registries reachable over plain HTTP or with unverified TLS (loopback needs no entry).</summary>
    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    /// <summary>
    /// One platform of a multi-architecture publish (ContainerRuntimeIdentifiers): the image is stored in the csbuild
    /// root and named TAG-RID there, but neither pushed nor archived; the image index that lists it is.
    /// </summary>
    public bool PlatformImageOnly { get; init; }

    /// <summary>ContainerDockerfile: build this Dockerfile (full path) with the csbuild solver, the publish directory as its context.</summary>
    public string? Dockerfile { get; init; }

    /// <summary>ContainerBuildArg items: the Dockerfile's --build-arg values.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    /// <summary>ContainerOciRuntime: the OCI runtime for the Dockerfile's RUN steps (a path or a name on PATH); null means runc.</summary>
    public string? OciRuntime { get; init; }
}
