using Csbuild.Frontend.Expansion;
using Csbuild.Frontend.Instructions;
using Csbuild.Frontend.Parsing;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Conversion;

/// <summary>Everything shared while one Dockerfile is converted: request, resolver, global ARGs, finished stages.</summary>
internal sealed class ConversionContext
{
    private Vertex? _context;

    public required FrontendRequest Request { get; init; }
    public required IImageResolver Images { get; init; }
    public required DockerfileModel Model { get; init; }
    public required PlatformSpec TargetPlatform { get; init; }
    public required PlatformSpec BuildPlatform { get; init; }
    public required ArgScope Args { get; init; }
    public CancellationToken CancellationToken { get; init; }

    public string FileName => Request.DockerfileName;

    public ShellLexer Lexer => new(Model.Syntax.EscapeChar);

    /// <summary>Stage names (lower case) to the index of the first stage with that name.</summary>
    public Dictionary<string, int> StageIndexByName
    {
        get
        {
            if (_stageIndexByName is not null) return _stageIndexByName;
            _stageIndexByName = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var stage in Model.Stages)
                if (stage.Name is not null) _stageIndexByName.TryAdd(stage.Name, stage.Index);
            return _stageIndexByName;
        }
    }

    private Dictionary<string, int>? _stageIndexByName;

    /// <summary>Finished stages by index.</summary>
    public Dictionary<int, StageState> Stages { get; } = [];

    public List<DockerfileWarning> Warnings { get; } = [];

    /// <summary><c>--build-context</c> values, found by the names FROM, COPY --from and RUN --mount from= use.</summary>
    public NamedContexts Named => _named ??= new NamedContexts(Request.NamedContexts);

    private NamedContexts? _named;

    /// <summary>The build context, one vertex shared by every COPY that reads it.</summary>
    public Vertex ContextVertex => _context ??= new Vertex(new LocalOp("context"), "[internal] load build context") { IgnoreCache = Request.NoCache };

    public Vertex NewVertex(StageState stage, Op op, string name, params Vertex[] inputs) =>
        new(op, name, inputs) { IgnoreCache = stage.IgnoreCache };

    public DockerfileParseException Error(Instruction at, string message, string? hint = null, string? near = null) =>
        InstructionErrors.At(at.Node, FileName, message, hint, near);

    public DockerfileParseException NotSupported(Instruction at, string what, string? near = null) =>
        Error(at, $"{what} is not supported yet", "csbuild does not implement this Dockerfile feature; see docs/dockerfile-support.md", near);

    /// <summary>Expands one word (quotes removed, variables substituted) with the stage's environment.</summary>
    public string Expand(Instruction at, string word, VariableLookup env) => ExpandWithMatches(at, word, env).Word;

    /// <summary>
    /// Expands a word of an instruction in a stage (with <paramref name="lookup"/> instead of the stage's environment
    /// when given), warning about variables that are neither set nor declared (BuildKit's UndefinedVar check).
    /// </summary>
    public string Expand(Instruction at, string word, StageState state, VariableLookup? lookup = null)
    {
        var result = ExpandWithMatches(at, word, lookup ?? state.Lookup);
        var reported = 0;
        foreach (var name in result.Unmatched)
        {
            // A handful per word is enough to point at the problem (and keeps hostile input linear).
            if (state.IsDeclaredArg(name) || ++reported > 5) continue;
            var suggestion = Suggest(name, state);
            Warn(at, "UndefinedVar", $"Usage of undefined variable '${name}'" + (suggestion is null ? "" : $" (did you mean ${suggestion}?)"));
        }
        return result.Word;
    }

    private static string? Suggest(string name, StageState state)
    {
        var candidates = state.RunEnv.Keys.Concat(state.BuildArgs.Select(a => a.Name)).Distinct().Take(100);
        return candidates.FirstOrDefault(c => c.Equals(name, StringComparison.OrdinalIgnoreCase)
            || (Math.Abs(c.Length - name.Length) <= 1 && Parsing.InstructionNames.Distance(c, name) == 1));
    }

    public ExpansionResult ExpandWithMatches(Instruction at, string word, VariableLookup env)
    {
        try
        {
            return Lexer.Process(word, env);
        }
        catch (ExpansionException e)
        {
            throw Error(at, e.Message, HintFor(e.Message), word.Length > 0 ? word : null);
        }
    }

    private string? HintFor(string message) =>
        message.Contains("single-quote", StringComparison.Ordinal) ? "unterminated quote: add the closing ' (or escape the quote)"
        : message.Contains("double-quote", StringComparison.Ordinal) ? $"unterminated quote: add the closing \" (or write it as {Model.Syntax.EscapeChar}\")"
        : message.Contains("missing '}'", StringComparison.Ordinal) ? "close the ${...} with a }"
        : message.Contains("bad substitution", StringComparison.Ordinal) ? "a substitution is ${name} or ${name<modifier>word}"
        : message.Contains("unsupported modifier", StringComparison.Ordinal) ? "modifiers are :- - :+ + :? ? # ## % %% / //"
        : null;

    public void Warn(Instruction at, string rule, string message)
    {
        var (line, column) = at.Node.PositionOf(0);
        Warnings.Add(new DockerfileWarning(rule, message, FileName, line, column, $"https://docs.docker.com/go/dockerfile/rule/{Checks.StaticChecks.Kebab(rule)}/"));
    }
}
