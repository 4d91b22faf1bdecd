using System.CommandLine;

namespace Csbuild.Cli.Commands;

/// <summary>The flags of <c>csbuild build</c>, named as <c>docker buildx build</c> names them.</summary>
internal sealed class BuildOptions
{
    public readonly Argument<string> Context = new("PATH") { Description = "Build context directory", Arity = ArgumentArity.ZeroOrOne };
    public readonly Option<string?> File = new("--file", "-f") { Description = "Name of the Dockerfile (default: PATH/Dockerfile)" };
    public readonly Option<string[]> Tags = new("--tag", "-t") { Description = "Name and optionally a tag (name:tag); repeatable", AllowMultipleArgumentsPerToken = false };
    public readonly Option<string[]> BuildArgs = new("--build-arg") { Description = "Set a build-time variable (NAME=VALUE, or NAME to take it from the environment)" };
    public readonly Option<string?> Target = new("--target") { Description = "Set the target build stage" };
    public readonly Option<bool> NoCache = new("--no-cache") { Description = "Do not use the cache for any step" };
    public readonly Option<string[]> NoCacheFilter = new("--no-cache-filter") { Description = "Do not use the cache for these stages" };
    public readonly Option<string[]> Labels = new("--label") { Description = "Set metadata for the image (KEY=VALUE)" };
    public readonly Option<string> Progress = new("--progress") { Description = "Progress output: auto, tty, plain, rawjson, quiet", DefaultValueFactory = _ => "auto" };
    public readonly Option<bool> Quiet = new("--quiet", "-q") { Description = "Print only the image id" };
    public readonly Option<string?> IidFile = new("--iidfile") { Description = "Write the image id (manifest digest) to the file" };
    public readonly Option<string?> Runtime = new("--runtime") { Description = "OCI runtime binary for RUN steps (default: runc)" };
    public readonly Option<int?> Jobs = new("--jobs") { Description = "How many steps may run at once (default: number of cores)" };
    public readonly Option<bool> Pull = new("--pull") { Description = "Always attempt to pull a newer version of the base images" };
    public readonly Option<bool> Push = new("--push") { Description = "Push the tagged image(s) to their registry after the build" };
    public readonly Option<string[]> InsecureRegistries = new("--insecure-registry") { Description = "Registry (host[:port]) reachable over plain HTTP or with an unverified certificate; repeatable", AllowMultipleArgumentsPerToken = false };
    public readonly Option<string[]> Outputs = new("--output", "-o") { Description = "Output destination: type=image|registry|oci|docker|local|tar[,dest=PATH][,name=…][,compression=gzip|zstd|uncompressed][,compression-level=N][,force-compression=true][,oci-mediatypes=false]; PATH alone is type=local; repeatable", AllowMultipleArgumentsPerToken = false };
    public readonly Option<string?> MetadataFile = new("--metadata-file") { Description = "Write build result metadata (image digest, config digest, descriptor, names) to the file as JSON" };
    public readonly Option<bool?> OciMediaTypes = new("--oci-mediatypes") { Description = "Use OCI media types (default true); false writes Docker schema2 media types" };
    public readonly Option<bool> Check = new("--check") { Description = "Run the Dockerfile build checks instead of building; exit 1 when any warns" };
    public readonly Option<string?> Platform = new("--platform") { Description = "Target platform (only the host platform can run RUN steps)" };
    public readonly Option<string[]> Secrets = new("--secret") { Description = "Secret for RUN --mount=type=secret: id=ID,src=FILE or id=ID,env=VARIABLE; repeatable", AllowMultipleArgumentsPerToken = false };
    public readonly Option<string[]> Ssh = new("--ssh") { Description = "SSH agent socket for RUN --mount=type=ssh: default, default=$SSH_AUTH_SOCK or ID=SOCKET; repeatable", AllowMultipleArgumentsPerToken = false };
    public readonly Option<string?> Network = new("--network") { Description = "Network of RUN steps that do not set one: default, none or host" };
    public readonly Option<string?> Memory = new("--memory", "-m") { Description = "Memory limit of each RUN step (e.g. 512m, 2g)" };
    public readonly Option<long?> CpuQuota = new("--cpu-quota") { Description = "CPU time of each RUN step, in microseconds per 100 ms period" };
    public readonly Option<string?> Cpus = new("--cpus") { Description = "CPUs each RUN step may use (e.g. 1.5)" };
    public readonly Option<string[]> CacheFrom = new("--cache-from") { Description = "External cache source: type=registry,ref=REPO:TAG | type=local,src=DIR[,tag=T] | REPO:TAG (an image with an inline cache works too); repeatable, tried in order", AllowMultipleArgumentsPerToken = false };
    public readonly Option<string[]> CacheTo = new("--cache-to") { Description = "Cache export: type=registry,ref=REPO:TAG | type=local,dest=DIR | type=inline, with [,mode=min|max][,compression=gzip|zstd|uncompressed][,cache-mounts=true][,ignore-error=true]; repeatable", AllowMultipleArgumentsPerToken = false };
    public readonly Option<long?> PidsLimit = new("--pids-limit") { Description = "Maximum number of processes of each RUN step" };
    public readonly Option<string[]> BuildContexts = new("--build-context") { Description = "Additional build context NAME=VALUE (a directory, docker-image://REF, oci-layout://PATH[:TAG|@DIGEST], a git or tarball URL); replaces the stage or image NAME in FROM, COPY --from and RUN --mount from=; repeatable", AllowMultipleArgumentsPerToken = false };
    public readonly Option<string[]> Allow = new("--allow") { Description = "Grant an entitlement: network.host (RUN --network=host), security.insecure (RUN --security=insecure); repeatable", AllowMultipleArgumentsPerToken = false };
    public readonly Option<string?> Call = new("--call") { Description = "What to do with the Dockerfile: build (default), check, outline (build args, secrets, ssh the target uses) or targets (stages); add ,format=json for JSON" };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Context);
        foreach (var option in new Option[] { File, Tags, BuildArgs, Target, NoCache, NoCacheFilter, Labels, Progress, Quiet, IidFile, MetadataFile, Outputs, OciMediaTypes, Runtime, Jobs, Platform, Check, Pull, Push, InsecureRegistries, Secrets, Ssh, Network, Memory, CpuQuota, Cpus, PidsLimit, CacheFrom, CacheTo })
            command.Options.Add(option);
        foreach (var option in new Option[] { BuildContexts, Allow, Call })
            command.Options.Add(option);
    }
}
