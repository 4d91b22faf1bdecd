namespace Csbuild.Frontend.Parsing;

/// <summary>A parsed Dockerfile: its parser directives and its instructions, before variable expansion.</summary>
public sealed record DockerfileSyntax
{
    public required string FileName { get; init; }

    /// <summary>Parser directives by lower-case name (<c>syntax</c>, <c>escape</c>, <c>check</c>), in file order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Directives { get; init; }

    public required IReadOnlyList<InstructionNode> Instructions { get; init; }

    /// <summary>The escape character in force (<c>\</c> unless <c># escape=`</c>).</summary>
    public char EscapeChar { get; init; } = '\\';

    /// <summary>Things the parser noticed that are legal but suspicious (e.g. empty continuation lines).</summary>
    public IReadOnlyList<DockerfileWarning> Warnings { get; init; } = [];

    public string? Directive(string name)
    {
        foreach (var (key, value) in Directives)
            if (key == name) return value;
        return null;
    }
}

/// <summary>
/// One instruction as the parser splits it. <see cref="Args"/> are before variable expansion and quote removal:
/// see docs/dockerfile-parse-json.md for what they hold per instruction.
/// </summary>
public sealed record InstructionNode
{
    /// <summary>First physical line (1-based).</summary>
    public required int Line { get; init; }

    /// <summary>Last physical line, including continuation lines and heredoc bodies.</summary>
    public required int EndLine { get; init; }

    /// <summary>Lower-case instruction name (<c>run</c>, <c>copy</c>…).</summary>
    public required string Command { get; init; }

    /// <summary>The instruction name as written (for casing checks).</summary>
    public required string CommandAsWritten { get; init; }

    /// <summary>Flags as written before the arguments, quotes removed, e.g. <c>--from=build</c>.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>True when the arguments were written in exec (JSON array) form.</summary>
    public bool Json { get; init; }

    public IReadOnlyList<HeredocNode> Heredocs { get; init; } = [];

    /// <summary>The inner instruction of ONBUILD.</summary>
    public InstructionNode? Next { get; init; }

    /// <summary>The whole logical line: continuations joined, the escape character and newline removed.</summary>
    public required string Original { get; init; }

    /// <summary>The text after the instruction name and flags (what <see cref="Args"/> were split from).</summary>
    public string Rest { get; init; } = "";

    /// <summary>ENV/LABEL written in the legacy <c>KEY value</c> form.</summary>
    public bool LegacyKeyValueForm { get; init; }

    /// <summary>Comment lines right above the instruction (without the <c>#</c>).</summary>
    public IReadOnlyList<string> Comments { get; init; } = [];

    /// <summary>Maps offsets in <see cref="Original"/> to file positions, for error columns.</summary>
    internal SourceMap? Map { get; init; }

    /// <summary>Position in the file of an offset in <see cref="Original"/>.</summary>
    public (int Line, int Column) PositionOf(int offsetInOriginal) =>
        Map?.PositionOf(offsetInOriginal) ?? (Line, 1);

    /// <summary>Position of the first occurrence of <paramref name="text"/> in the instruction, or of its start.</summary>
    public (int Line, int Column) PositionOf(string text)
    {
        var index = string.IsNullOrEmpty(text) ? -1 : Original.IndexOf(text, StringComparison.Ordinal);
        return PositionOf(Math.Max(index, 0));
    }
}

/// <summary>A here-document attached to an instruction.</summary>
/// <param name="Name">The delimiter word, quotes removed.</param>
/// <param name="Content">The body as read, every line with its newline; leading tabs are still there for <c>&lt;&lt;-</c>.</param>
/// <param name="Expand">False when the delimiter was quoted, which disables variable expansion in the body.</param>
/// <param name="Chomp">True for <c>&lt;&lt;-</c>: leading tabs are removed from the body's lines.</param>
/// <param name="FileDescriptor">The number written before <c>&lt;&lt;</c> (0 when none).</param>
public sealed record HeredocNode(string Name, string Content, bool Expand, bool Chomp, int FileDescriptor = 0)
{
    /// <summary>The body with <c>&lt;&lt;-</c>'s leading tabs removed when <see cref="Chomp"/> is set.</summary>
    public string EffectiveContent => Chomp ? ChompContent(Content) : Content;

    public static string ChompContent(string content)
    {
        var sb = new System.Text.StringBuilder(content.Length);
        var atLineStart = true;
        foreach (var c in content)
        {
            if (atLineStart && c == '\t') continue;
            atLineStart = c == '\n';
            sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>A finding that does not stop the build (BuildKit's build checks).</summary>
/// <param name="Rule">BuildKit's rule name, e.g. <c>JSONArgsRecommended</c>.</param>
public sealed record DockerfileWarning(string Rule, string Message, string FileName, int Line, int Column = 1, string? Url = null)
{
    public override string ToString() => $"{FileName}:{Line}:{Column}: warning: {Rule}: {Message}";
}

/// <summary>Which physical line and column each stretch of a joined logical line came from.</summary>
internal sealed class SourceMap
{
    private readonly List<(int Offset, int Line, int Column)> _segments = [];

    public void Add(int offset, int line, int column) => _segments.Add((offset, line, column));

    /// <summary>Shifts every offset, after the logical line was trimmed or cut at its start.</summary>
    public SourceMap Shift(int removedPrefix)
    {
        var shifted = new SourceMap();
        foreach (var (offset, line, column) in _segments)
        {
            var o = offset - removedPrefix;
            if (o < 0) shifted._segments.Clear();
            shifted._segments.Add((Math.Max(o, 0), line, o < 0 ? column - o : column));
        }
        return shifted;
    }

    public (int Line, int Column) PositionOf(int offset)
    {
        if (_segments.Count == 0) return (1, 1);
        int lo = 0, hi = _segments.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_segments[mid].Offset <= offset) lo = mid; else hi = mid - 1;
        }
        var s = _segments[lo];
        return (s.Line, s.Column + Math.Max(0, offset - s.Offset));
    }
}
