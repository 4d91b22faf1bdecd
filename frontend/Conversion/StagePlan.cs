using System.Globalization;
using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>Where a stage starts: scratch, an image, or an earlier stage.</summary>
internal sealed record StageBase(string Reference, int? StageIndex, PlatformSpec Platform, string? PlatformText)
{
    public bool IsScratch => StageIndex is null && Local is null && Reference == "scratch";

    /// <summary>A named local directory (<c>--build-context NAME=DIR</c>) the stage starts from; Reference is its name.</summary>
    public Solver.Graph.LocalSource? Local { get; init; }

    /// <summary>The stage itself is replaced by a named context: its instructions are not converted.</summary>
    public bool ReplacesStage { get; init; }
}

/// <summary>
/// Decides which stages a build needs and in what order: resolves FROM names (expanded with the global ARGs)
/// and <c>COPY --from</c> references, picks the target (<c>--target</c> or the last stage), and orders its
/// dependencies so each stage is converted after the stages it reads.
/// </summary>
internal static class StagePlan
{
    /// <summary>The first stage of that name (case-insensitive) defined before index <paramref name="before"/>.</summary>
    public static Stage? FindByName(ConversionContext ctx, string name, int before = int.MaxValue) =>
        ctx.StageIndexByName.TryGetValue(name.ToLowerInvariant(), out var index) && index < before ? ctx.Model.Stages[index] : null;

    /// <summary>Expands a stage's FROM line with the global scope.</summary>
    public static StageBase ResolveBase(Stage stage, ConversionContext ctx)
    {
        var from = stage.From;
        // --build-context NAME=… with a stage's name replaces the whole stage, as buildx does.
        if (ctx.Named.ForStage(stage.Name) is { } replacement)
            return FromNamedContext(replacement, ctx.TargetPlatform) with { ReplacesStage = true };
        var expanded = ctx.ExpandWithMatches(from, from.BaseName, ctx.Args.LookupGlobal);
        var reference = expanded.Word;
        if (reference.Length == 0)
        {
            var missing = expanded.Unmatched.FirstOrDefault();
            throw ctx.Error(from, $"base name ({from.BaseName}) should not be blank",
                missing is null ? null : $"ARG {missing} is used in FROM but not declared before the first FROM; add 'ARG {missing}=<default>' at the top of the file",
                from.BaseName);
        }
        foreach (var name in expanded.Unmatched)
            ctx.Warn(from, "UndefinedArgInFrom", $"FROM argument '{name}' is not declared");

        var platform = ctx.TargetPlatform;
        string? platformText = null;
        if (from.Platform is { } p)
        {
            platformText = ctx.Expand(from, p, ctx.Args.LookupGlobal);
            try
            {
                platform = PlatformSpec.Parse(platformText);
            }
            catch (FormatException e)
            {
                throw ctx.Error(from, $"failed to parse platform {platformText}: {e.Message}", near: "--platform");
            }
        }
        var baseStage = FindByName(ctx, reference, stage.Index);
        if (baseStage is null && ctx.Named.Find(reference) is { } named)
            return FromNamedContext(named, platform) with { PlatformText = platformText };
        return new StageBase(reference, baseStage?.Index, platform, platformText);
    }

    private static StageBase FromNamedContext((string Name, NamedContext Context) named, PlatformSpec platform) => named.Context switch
    {
        ImageNamedContext image => new StageBase(image.Reference, null, platform, null),
        LocalNamedContext local => new StageBase(named.Name, null, platform, null) { Local = local.Source },
        _ => throw new InvalidOperationException($"unknown named context kind {named.Context.GetType().Name}"),
    };

    /// <summary>The stage a <c>COPY --from</c> value names, or null when it names an image.</summary>
    public static Stage? FromReference(CopyInstruction copy, Stage current, ConversionContext ctx)
    {
        var value = copy.From!;
        var stages = ctx.Model.Stages;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            if (index >= stages.Count)
                throw ctx.Error(copy, $"invalid stage index {index}", $"the Dockerfile has {stages.Count} stage(s), numbered from 0", "--from");
            if (index == current.Index)
                throw ctx.Error(copy, $"circular dependency detected on stage: {Describe(current)}", "a stage can't copy from itself", "--from");
            return stages[index];
        }
        var named = FindByName(ctx, value);
        if (named is not null && named.Index == current.Index)
            throw ctx.Error(copy, $"circular dependency detected on stage: {Describe(current)}", "a stage can't copy from itself", "--from");
        return named;
    }

    /// <summary>The stages to convert, dependencies first, ending with the target.</summary>
    public static (Stage Target, List<Stage> Order, Dictionary<int, StageBase> Bases) Plan(ConversionContext ctx)
    {
        var stages = ctx.Model.Stages;
        Stage target;
        if (ctx.Request.Target is { Length: > 0 } wanted)
        {
            target = FindByName(ctx, wanted)
                ?? throw new DockerfileException(ctx.FileName, 0, 0, $"target stage \"{wanted}\" could not be found",
                    stages.Any(s => s.Name is not null)
                        ? "stages are: " + string.Join(", ", stages.Where(s => s.Name is not null).Select(s => s.Name))
                        : "name a stage with FROM image AS name");
        }
        else
        {
            target = stages[^1];
        }

        var bases = new Dictionary<int, StageBase>();
        var order = new List<Stage>();
        var state = new Dictionary<int, bool>(); // false: in progress, true: done
        // Iterative depth-first walk, so a long chain of stages can't overflow the stack.
        var stack = new Stack<(Stage Stage, IEnumerator<Stage> Deps)>();
        state[target.Index] = false;
        stack.Push((target, Dependencies(target, ctx, bases).GetEnumerator()));
        while (stack.Count > 0)
        {
            var (stage, deps) = stack.Peek();
            if (deps.MoveNext())
            {
                var dep = deps.Current;
                if (state.TryGetValue(dep.Index, out var done))
                {
                    if (!done) throw ctx.Error(stage.From, $"circular dependency detected on stage: {Describe(dep)}");
                    continue;
                }
                state[dep.Index] = false;
                stack.Push((dep, Dependencies(dep, ctx, bases).GetEnumerator()));
                continue;
            }
            stack.Pop();
            state[stage.Index] = true;
            order.Add(stage);
        }
        return (target, order, bases);
    }

    private static IEnumerable<Stage> Dependencies(Stage stage, ConversionContext ctx, Dictionary<int, StageBase> bases)
    {
        var b = ResolveBase(stage, ctx);
        bases[stage.Index] = b;
        var deps = new List<Stage>();
        if (b.ReplacesStage) return deps;
        if (b.StageIndex is { } i) deps.Add(ctx.Model.Stages[i]);
        foreach (var command in stage.Commands)
        {
            if (command is CopyInstruction { From: not null } copy && FromReference(copy, stage, ctx) is { } source)
                deps.Add(source);
            // RUN --mount=from=stage reads that stage too (its value expanded with the global ARGs, as FROM is).
            if (command is RunInstruction { Mounts.Count: > 0 } run)
                foreach (var from in MountConversion.FromValues(run, word => ctx.ExpandWithMatches(run, word, ctx.Args.LookupGlobal).Word))
                    if (MountConversion.FindStage(from, stage, ctx, run) is { } mounted) deps.Add(mounted);
        }
        return deps;
    }

    public static string Describe(Stage stage) => stage.Name ?? $"stage-{stage.Index}";
}
