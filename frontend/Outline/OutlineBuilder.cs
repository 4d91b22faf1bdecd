using Csbuild.Frontend.Conversion;
using Csbuild.Frontend.Instructions;
using Csbuild.Frontend.Parsing;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Outline;

/// <summary>
/// Answers <c>--call outline</c> and <c>--call targets</c> from the Dockerfile alone: no base image is resolved
/// and nothing is built. The stages considered are the ones the target needs, found as a build finds them.
/// </summary>
internal static class OutlineBuilder
{
    public static BuildOutline Outline(FrontendRequest request)
    {
        var ctx = Context(request);
        var (target, order, bases) = StagePlan.Plan(ctx);

        var args = new List<OutlineArg>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Global ARGs count when a needed stage's FROM uses them or a needed stage re-declares them (BuildKit's rule).
        var usedGlobals = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stage in order)
        {
            foreach (var text in new[] { stage.From.BaseName, stage.From.Platform })
            {
                if (text is null) continue;
                var used = ctx.ExpandWithMatches(stage.From, text, ctx.Args.LookupGlobal);
                usedGlobals.UnionWith(used.Matched);
                usedGlobals.UnionWith(used.Unmatched); // declared without a value: still a parameter of the build
            }
            if (bases[stage.Index].ReplacesStage) continue;
            foreach (var arg in stage.Commands.OfType<ArgInstruction>())
                foreach (var decl in arg.Args) usedGlobals.Add(decl.Name);
        }
        foreach (var instruction in ctx.Model.GlobalArgs)
            foreach (var decl in instruction.Args)
                if (usedGlobals.Contains(decl.Name) && seen.Add(decl.Name))
                    args.Add(new OutlineArg(decl.Name, ctx.Args.LookupGlobal(decl.Name), Comment(instruction.Node, decl.Name), instruction.Line));

        var secrets = new List<OutlineSecret>();
        var ssh = new List<OutlineSecret>();
        foreach (var stage in order)
        {
            if (bases[stage.Index].ReplacesStage) continue;
            foreach (var command in stage.Commands)
            {
                if (command is ArgInstruction arg)
                {
                    foreach (var decl in arg.Args)
                        if (seen.Add(decl.Name))
                            args.Add(new OutlineArg(decl.Name, request.BuildArgs.GetValueOrDefault(decl.Name) ?? decl.DefaultValue, Comment(arg.Node, decl.Name), arg.Line));
                }
                else if (command is RunInstruction run)
                {
                    foreach (var value in run.Mounts)
                    {
                        MountConversion.ParsedMount mount;
                        try { mount = MountConversion.Parse(value, word => word); }
                        catch (FormatException) { continue; } // a build reports it
                        if (mount.Type == ExecMountType.Secret)
                            Add(secrets, mount.Id ?? mount.Source ?? (mount.Target is { Length: > 0 } t ? t.TrimEnd('/')[(t.TrimEnd('/').LastIndexOf('/') + 1)..] : null), mount.Required, run.Line);
                        else if (mount.Type == ExecMountType.Ssh)
                            Add(ssh, string.IsNullOrEmpty(mount.Id) ? "default" : mount.Id, mount.Required, run.Line);
                    }
                }
            }
        }
        return new BuildOutline(request.Target is { Length: > 0 } ? target.Name : null, Comment(target.From.Node, target.Name), args, secrets, ssh);
    }

    public static IReadOnlyList<BuildTarget> Targets(string dockerfileText, string dockerfileName)
    {
        var model = InstructionParser.Parse(DockerfileParser.Parse(dockerfileText, dockerfileName));
        return model.Stages.Select(s => new BuildTarget(s.Name, Comment(s.From.Node, s.Name), s.Index == model.Stages.Count - 1,
            s.From.BaseName, s.From.Platform, s.From.Line)).ToList();
    }

    /// <summary>BuildKit's getComment: the first comment line above the instruction that starts with "NAME ".</summary>
    private static string? Comment(InstructionNode node, string? name)
    {
        if (string.IsNullOrEmpty(name)) return null;
        foreach (var line in node.Comments)
            if (line.StartsWith(name + " ", StringComparison.Ordinal)) return line[(name.Length + 1)..];
        return null;
    }

    private static void Add(List<OutlineSecret> list, string? name, bool required, int line)
    {
        if (string.IsNullOrEmpty(name)) return;
        var at = list.FindIndex(s => s.Name == name);
        if (at < 0) list.Add(new OutlineSecret(name, required, line));
        else if (required && !list[at].Required) list[at] = list[at] with { Required = true };
    }

    private static ConversionContext Context(FrontendRequest request)
    {
        var syntax = DockerfileParser.Parse(request.DockerfileText, request.DockerfileName);
        var model = InstructionParser.Parse(syntax);
        var target = PlatformSpec.Parse(request.Platform);
        var build = PlatformSpec.HostPlatform;
        var ctx = new ConversionContext
        {
            Request = request,
            Images = NoImages.Instance,
            Model = model,
            TargetPlatform = target,
            BuildPlatform = build,
            Args = new ArgScope(request.BuildArgs, build, target),
        };
        ctx.Args.DeclareGlobals(model.GlobalArgs, ctx);
        return ctx;
    }

    /// <summary>An outline never looks at images; a lookup would be a bug.</summary>
    private sealed class NoImages : IImageResolver
    {
        public static readonly NoImages Instance = new();

        public Task<ResolvedImage> ResolveAsync(string reference, string? platform, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("an outline does not resolve images");
    }
}
