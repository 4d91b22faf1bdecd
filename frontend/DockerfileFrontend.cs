using Csbuild.Frontend.Checks;
using Csbuild.Frontend.Conversion;
using Csbuild.Frontend.Instructions;
using Csbuild.Frontend.Parsing;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend;

/// <summary>
/// The Dockerfile frontend: Dockerfile text → build graph, as BuildKit's dockerfile2llb does it. Only the stages
/// the target needs are converted (and only their base images resolved).
/// </summary>
public static class DockerfileFrontend
{
    /// <exception cref="DockerfileParseException">The Dockerfile is invalid.</exception>
    /// <exception cref="DockerfileException">A valid Dockerfile that can't be built (unknown target, missing base image…).</exception>
    public static async Task<BuildGraph> ConvertAsync(FrontendRequest request, IImageResolver images, CancellationToken ct)
    {
        var result = await ConvertWithWarningsAsync(request, images, ct);
        return result.Graph;
    }

    /// <summary>
    /// Like <see cref="ConvertAsync"/>, also returning what BuildKit's build checks warn about (filtered by the
    /// <c># check=</c> directive). With <c># check=error=true</c>, any warning fails the conversion.
    /// </summary>
    public static async Task<FrontendResult> ConvertWithWarningsAsync(FrontendRequest request, IImageResolver images, CancellationToken ct)
    {
        var (result, policy) = await ConvertCoreAsync(request, images, ct);
        if (policy.Error && result.Warnings.Count > 0)
        {
            var first = result.Warnings[0];
            throw new DockerfileException(first.FileName, first.Line, first.Column,
                $"lint violation found for rules: {string.Join(", ", result.Warnings.Select(w => w.Rule).Distinct())}",
                "the Dockerfile sets # check=error=true; fix the warnings or skip their rules");
        }
        return result;
    }

    /// <summary>
    /// <c>csbuild build --check</c>: converts the Dockerfile (resolving base images, which UndefinedVar needs) and
    /// reports the build-check warnings without building.
    /// </summary>
    public static async Task<CheckReport> CheckAsync(FrontendRequest request, IImageResolver images, CancellationToken ct)
    {
        var (result, policy) = await ConvertCoreAsync(request, images, ct);
        return new CheckReport(result.Warnings, policy.Error && result.Warnings.Count > 0);
    }

    /// <summary>The checks that need nothing but the Dockerfile (no base images): casing, JSON form, secrets, duplicates…</summary>
    public static CheckReport Check(string dockerfileText, string dockerfileName = "Dockerfile")
    {
        var syntax = DockerfileParser.Parse(dockerfileText, dockerfileName);
        var model = InstructionParser.Parse(syntax);
        var policy = CheckPolicy.From(syntax);
        var warnings = Filter(StaticChecks.Run(syntax, model), policy);
        return new CheckReport(warnings, policy.Error && warnings.Count > 0);
    }

    /// <summary><c>--call outline</c>: the build args, secrets and SSH agents the target uses; no image is resolved.</summary>
    /// <exception cref="DockerfileParseException">The Dockerfile is invalid.</exception>
    public static Outline.BuildOutline Outline(FrontendRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Frontend.Outline.OutlineBuilder.Outline(request);
    }

    /// <summary><c>--call targets</c>: every stage, with its description (the comment above FROM starting with its name).</summary>
    public static IReadOnlyList<Outline.BuildTarget> Targets(string dockerfileText, string dockerfileName = "Dockerfile") =>
        Frontend.Outline.OutlineBuilder.Targets(dockerfileText, dockerfileName);

    private static List<DockerfileWarning> Filter(IEnumerable<DockerfileWarning> warnings, CheckPolicy policy) =>
        warnings.Where(policy.Allows).Distinct().OrderBy(w => w.Line).ThenBy(w => w.Column).ToList();

    private static async Task<(FrontendResult Result, CheckPolicy Policy)> ConvertCoreAsync(FrontendRequest request, IImageResolver images, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(images);
        var syntax = DockerfileParser.Parse(request.DockerfileText, request.DockerfileName);
        var model = InstructionParser.Parse(syntax);
        var policy = CheckPolicy.From(syntax);

        PlatformSpec target;
        try
        {
            target = PlatformSpec.Parse(request.Platform);
        }
        catch (FormatException e)
        {
            throw new DockerfileException(request.DockerfileName, 0, 0, e.Message, "use --platform os/arch[/variant], e.g. linux/amd64");
        }
        var build = PlatformSpec.HostPlatform;
        var ctx = new ConversionContext
        {
            Request = request,
            Images = images,
            Model = model,
            TargetPlatform = target,
            BuildPlatform = build,
            Args = new ArgScope(request.BuildArgs, build, target),
            CancellationToken = ct,
        };
        ctx.Args.DeclareGlobals(model.GlobalArgs, ctx);

        var (targetStage, order, bases) = StagePlan.Plan(ctx);
        var single = model.Stages.Count == 1;
        foreach (var stage in order)
        {
            var displayName = single ? null : StagePlan.Describe(stage);
            ctx.Stages[stage.Index] = await StageConverter.ConvertAsync(stage, bases[stage.Index], displayName, ctx);
        }

        var final = ctx.Stages[targetStage.Index];
        var config = final.Config;
        if (request.Labels.Count > 0)
        {
            config.Config.Labels ??= [];
            foreach (var (k, v) in request.Labels) config.Config.Labels[k] = v;
        }

        var warnings = StaticChecks.Run(syntax, model);
        warnings.AddRange(ctx.Warnings);
        var unused = ctx.Args.Unused().ToList();
        if (unused.Count > 0)
            warnings.Add(new DockerfileWarning("UnusedBuildArg",
                $"One or more build-args [{string.Join(' ', unused)}] were not consumed", request.DockerfileName, 0));

        var graph = new BuildGraph
        {
            Output = final.State,
            Config = config,
            History = final.FullHistory(),
            Locals = new Dictionary<string, LocalSource>(ctx.Named.Locals()) { ["context"] = request.Context },
        };
        return (new FrontendResult(graph, Filter(warnings, policy)), policy);
    }
}

/// <summary>Build-check warnings, and whether they fail the build (<c># check=error=true</c>).</summary>
public sealed record CheckReport(IReadOnlyList<DockerfileWarning> Warnings, bool FailsBuild);

/// <summary>A converted Dockerfile and the warnings found on the way.</summary>
public sealed record FrontendResult(BuildGraph Graph, IReadOnlyList<DockerfileWarning> Warnings);
