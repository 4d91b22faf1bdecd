using Csbuild.Frontend.Instructions;
using Csbuild.Frontend.Parsing;
using Csbuild.Oci.Model;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Conversion;

/// <summary>Converts one stage: its FROM, the base image's ONBUILD triggers, then each instruction in order.</summary>
internal static class StageConverter
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static async Task<StageState> ConvertAsync(Stage stage, StageBase stageBase, string? displayName, ConversionContext ctx)
    {
        var ignoreCache = ctx.Request.NoCache
            || (stage.Name is not null && ctx.Request.NoCacheFilter.Any(f => string.Equals(f, stage.Name, StringComparison.OrdinalIgnoreCase)));

        // The starting filesystem, config and environment.
        Vertex? vertex;
        ImageConfig config;
        EnvList env;
        StageState? parent = null;
        string fromText;
        if (stageBase.StageIndex is { } baseIndex)
        {
            parent = ctx.Stages[baseIndex];
            vertex = parent.State;
            config = parent.Config.Clone();
            env = parent.RunEnv.Clone();
            fromText = "";
        }
        else if (stageBase.Local is { } local)
        {
            // FROM a named directory: its files on an empty filesystem, with a scratch image's config.
            vertex = null;
            config = ScratchConfig(stageBase.Platform);
            env = new EnvList(config.Config.Env);
            fromText = "FROM " + stageBase.Reference;
        }
        else if (stageBase.IsScratch)
        {
            vertex = null;
            config = ScratchConfig(stageBase.Platform);
            env = new EnvList(config.Config.Env);
            fromText = "FROM scratch";
        }
        else
        {
            ResolvedImage image;
            try
            {
                image = await ctx.Images.ResolveAsync(stageBase.Reference, stageBase.PlatformText ?? ctx.Request.Platform, ctx.CancellationToken);
            }
            catch (ImageNotFoundException e)
            {
                throw new DockerfileException(ctx.FileName, stage.From.Line, stage.From.Node.PositionOf(stage.From.BaseName).Column,
                    $"failed to resolve source metadata for {stageBase.Reference}: {e.Message}",
                    "check the image name, or import the image into the local store", stage.From.BaseName, e);
            }
            vertex = null;
            config = image.Config.Clone();
            config.Config ??= new ContainerConfig();
            env = new EnvList(config.Config.Env);
            fromText = "FROM " + (stageBase.Reference.Contains('@') ? stageBase.Reference : $"{image.Reference}@{image.ManifestDigest}");
        }

        List<Instruction> triggers = stageBase.ReplacesStage ? [] : Triggers(config, stage, ctx);
        var state = new StageState
        {
            Stage = stage,
            DisplayName = displayName,
            Platform = stageBase.Platform,
            IgnoreCache = ignoreCache,
            State = vertex!,
            Config = config,
            RunEnv = env,
            CmdTotal = CountSteps(triggers.Concat(stageBase.ReplacesStage ? [] : stage.Commands)),
            Parent = parent,
        };
        if (parent is not null)
        {
            // The stage continues the other stage's image, so its history continues that stage's (via Parent).
            state.CmdIndex = 1;
        }
        else if (stageBase.Local is not null)
        {
            var scratch = new Vertex(new ScratchOp(), "[internal] scratch") { IgnoreCache = ignoreCache };
            var files = ctx.Named.LocalVertex(stageBase.Reference, ctx.Request.NoCache);
            var copyAll = new CopyAction { SourceInput = 1, Sources = ["/"], Dest = "/", DestIsDirectory = true };
            state.State = new Vertex(new FileOp([copyAll]), state.StepName(fromText), [scratch, files]) { IgnoreCache = ignoreCache };
        }
        else
        {
            Op op = stageBase.IsScratch ? new ScratchOp() : new ImageOp(stageBase.Reference, ImagePlatform(stageBase.PlatformText, stageBase.Platform));
            state.State = new Vertex(op, state.StepName(fromText)) { IgnoreCache = ignoreCache };
        }
        if (stageBase.ReplacesStage) return state;

        state.CmdIsOnBuild = true;
        foreach (var trigger in triggers)
        {
            try
            {
                Dispatch(trigger, state, ctx);
            }
            catch (DockerfileParseException e)
            {
                throw new DockerfileParseException(ctx.FileName, stage.From.Line, 1,
                    $"ONBUILD trigger \"{trigger.Node.Original}\" of the base image failed: {e.Detail}", e.Hint, inner: e);
            }
        }
        state.CmdIsOnBuild = false;
        foreach (var command in stage.Commands)
        {
            ctx.CancellationToken.ThrowIfCancellationRequested();
            Dispatch(command, state, ctx);
        }
        return state;
    }

    private static ImageConfig ScratchConfig(PlatformSpec platform) => new()
    {
        Os = platform.Os,
        Architecture = platform.Architecture,
        Variant = platform.Variant,
        Config = new ContainerConfig { Env = ["PATH=" + DefaultPath] },
    };

    /// <summary>
    /// The platform an image op asks for: the one written in FROM --platform, or the target platform when it is not
    /// the host's (so a cross-platform build pulls the right image); null means the host's.
    /// </summary>
    internal static string? ImagePlatform(string? written, PlatformSpec platform) =>
        written ?? (platform == PlatformSpec.HostPlatform ? null : platform.ToString());

    /// <summary>Steps shown with a number in progress: FROM plus the layer-producing instructions.</summary>
    private static int CountSteps(IEnumerable<Instruction> commands) =>
        1 + commands.Count(c => c is RunInstruction or CopyInstruction or WorkdirInstruction);

    /// <summary>The base image's ONBUILD triggers, parsed; they run first, and the new image doesn't inherit them.</summary>
    private static List<Instruction> Triggers(ImageConfig config, Stage stage, ConversionContext ctx)
    {
        var result = new List<Instruction>();
        if (config.Config?.OnBuild is not { Count: > 0 } triggers) return result;
        foreach (var trigger in triggers)
        {
            try
            {
                var syntax = DockerfileParser.Parse(trigger, ctx.FileName);
                foreach (var node in syntax.Instructions)
                {
                    if (node.Command is "onbuild" or "from" or "maintainer")
                        throw new DockerfileParseException(ctx.FileName, 1, 1, $"{node.Command.ToUpperInvariant()} isn't allowed as an ONBUILD trigger");
                    result.Add(InstructionParser.ParseOne(node, ctx.FileName));
                }
            }
            catch (DockerfileParseException e)
            {
                throw new DockerfileParseException(ctx.FileName, stage.From.Line, 1, $"invalid ONBUILD trigger \"{trigger}\" in the base image: {e.Detail}", e.Hint, trigger, e);
            }
        }
        config.Config.OnBuild = null;
        return result;
    }

    public static void Dispatch(Instruction instruction, StageState state, ConversionContext ctx)
    {
        switch (instruction)
        {
            case RunInstruction run: RunConversion.Apply(run, state, ctx); break;
            case CopyInstruction copy: CopyConversion.Apply(copy, state, ctx); break;
            case WorkdirInstruction workdir: WorkdirConversion.Apply(workdir, state, ctx); break;
            case EnvInstruction env: EnvConversion.Apply(env, state, ctx); break;
            case LabelInstruction label: LabelConversion.Apply(label, state, ctx); break;
            case ArgInstruction arg: ArgConversion.Apply(arg, state, ctx); break;
            case CmdInstruction cmd: CmdConversion.Apply(cmd, state, ctx); break;
            case EntrypointInstruction entrypoint: EntrypointConversion.Apply(entrypoint, state, ctx); break;
            case UserInstruction user: UserConversion.Apply(user, state, ctx); break;
            case ExposeInstruction expose: ExposeConversion.Apply(expose, state, ctx); break;
            case VolumeInstruction volume: VolumeConversion.Apply(volume, state, ctx); break;
            case StopSignalInstruction signal: StopSignalConversion.Apply(signal, state, ctx); break;
            case HealthcheckInstruction health: HealthcheckConversion.Apply(health, state, ctx); break;
            case ShellInstruction shell: ShellConversion.Apply(shell, state, ctx); break;
            case OnbuildInstruction onbuild: OnbuildConversion.Apply(onbuild, state, ctx); break;
            case MaintainerInstruction maintainer: MaintainerConversion.Apply(maintainer, state, ctx); break;
            default: throw ctx.Error(instruction, $"{instruction.Node.Command.ToUpperInvariant()} can't be used here");
        }
    }
}
