using System.Text;

namespace Csbuild.Frontend.Parsing;

/// <summary>
/// Reads a Dockerfile into its syntax tree, following BuildKit's <c>frontend/dockerfile/parser</c>: parser
/// directives at the top, logical lines joined at the escape character (comments and blank lines inside a
/// continuation skipped), instruction name, flags, then arguments split per instruction, then here-documents.
/// </summary>
public static class DockerfileParser
{
    /// <summary>Parses UTF-8 bytes; invalid sequences become U+FFFD, as Go's string handling would show them.</summary>
    public static DockerfileSyntax Parse(ReadOnlySpan<byte> utf8, string fileName = "Dockerfile") =>
        Parse(Encoding.UTF8.GetString(utf8), fileName);

    /// <exception cref="DockerfileParseException">The text is not a valid Dockerfile.</exception>
    public static DockerfileSyntax Parse(string text, string fileName = "Dockerfile")
    {
        ArgumentNullException.ThrowIfNull(text);
        var directives = new ParserDirectives();
        var lines = new LineCursor(text);
        var instructions = new List<InstructionNode>();
        var warnings = new List<DockerfileWarning>();
        var comments = new List<string>();

        while (lines.MoveNext())
        {
            var physical = lines.Line;
            var indent = LeadingBlanks(physical);
            var token = physical[indent..];
            directives.Inspect(token, lines.LineNumber, fileName);
            if (token.StartsWith('#'))
            {
                var comment = token[1..].Trim();
                if (comment.Length == 0) comments.Clear();
                else comments.Add(comment);
                continue;
            }

            var escape = directives.EscapeChar;
            var startLine = lines.LineNumber;
            var (first, endOfLine) = TrimContinuation(token, escape);
            if (endOfLine && first.Length == 0)
            {
                continue;
            }

            var logical = new StringBuilder(first);
            var map = new SourceMap();
            map.Add(0, startLine, indent + 1);
            var emptyContinuationLine = 0;
            while (!endOfLine && lines.MoveNext())
            {
                var next = lines.Line;
                directives.Inspect(next, lines.LineNumber, fileName);
                var nextIndent = LeadingBlanks(next);
                if (nextIndent < next.Length && next[nextIndent] == '#') continue; // comments inside a continuation
                if (nextIndent == next.Length)
                {
                    emptyContinuationLine = lines.LineNumber;
                    continue;
                }
                var (piece, end) = TrimContinuation(next, escape);
                map.Add(logical.Length, lines.LineNumber, 1);
                logical.Append(piece);
                endOfLine = end;
            }
            var continuationHitEof = !endOfLine;

            var line = logical.ToString();
            if (line.Trim().Length == 0)
            {
                if (continuationHitEof)
                    throw new DockerfileParseException(fileName, startLine, indent + 1, "unexpected end of file after line continuation",
                        $"the line ends with the escape character '{escape}' but nothing follows it; remove it", physical);
                continue;
            }

            var node = LineParser.ParseInstruction(line, map, escape, fileName, startLine, lines.LineNumber, comments, allowOnbuildChain: true);
            if (continuationHitEof && node.Args.Count == 0 && node.Next is null)
                throw new DockerfileParseException(fileName, lines.LineNumber, 1, $"{node.Command.ToUpperInvariant()} requires at least one argument",
                    $"the file ends inside a line continuation: the escape character '{escape}' at the end of line {lines.LineNumber} continues into nothing",
                    node.Original);
            if (emptyContinuationLine > 0)
                warnings.Add(new DockerfileWarning("NoEmptyContinuation",
                    "Empty continuation line found in: " + Truncate(node.Original), fileName, emptyContinuationLine,
                    Url: "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/"));

            if (CanContainHeredoc(node) && line.Contains("<<", StringComparison.Ordinal))
                node = ReadHeredocs(node, line, lines, fileName, startLine);

            instructions.Add(node with { EndLine = lines.LineNumber });
            comments.Clear();
        }

        if (instructions.Count == 0)
            throw new DockerfileParseException(fileName, Math.Max(1, lines.LineNumber), 1, "file with no instructions",
                "a Dockerfile needs at least a FROM instruction");

        return new DockerfileSyntax
        {
            FileName = fileName,
            Directives = directives.Found,
            Instructions = instructions,
            EscapeChar = directives.EscapeChar,
            Warnings = warnings,
        };
    }

    private static InstructionNode ReadHeredocs(InstructionNode node, string line, LineCursor lines, string fileName, int startLine)
    {
        List<HeredocMarker> markers;
        try
        {
            markers = HeredocMarkers.FromLine(line);
        }
        catch (FormatException e)
        {
            throw new DockerfileParseException(fileName, startLine, node.PositionOf("<<").Column, e.Message, offendingText: line);
        }
        if (markers.Count == 0) return node;
        var heredocs = new List<HeredocNode>(markers.Count);
        foreach (var marker in markers)
        {
            var content = new StringBuilder();
            var terminated = false;
            while (lines.MoveNext())
            {
                var candidate = lines.Line.AsSpan().TrimEnd('\n');
                if (marker.Chomp) candidate = candidate.TrimStart('\t');
                if (candidate.SequenceEqual(marker.Name))
                {
                    terminated = true;
                    break;
                }
                content.Append(lines.RawLine);
            }
            if (!terminated)
                throw new DockerfileParseException(fileName, startLine, node.PositionOf("<<").Column, "unterminated heredoc",
                    $"end the here-document with a line containing only {marker.Name}", line);
            heredocs.Add(new HeredocNode(marker.Name, content.ToString(), marker.Expand, marker.Chomp, marker.FileDescriptor));
        }
        return node with { Heredocs = heredocs };
    }

    /// <summary>RUN, COPY and ADD in shell form (also as ONBUILD triggers) may take here-documents.</summary>
    private static bool CanContainHeredoc(InstructionNode node)
    {
        var target = node.Command == "onbuild" && node.Next is not null ? node.Next : node;
        return target.Command is "run" or "copy" or "add" && !target.Json;
    }

    /// <summary>A trailing escape character (optionally followed by blanks) continues the instruction on the next line.</summary>
    private static (string Text, bool EndOfLine) TrimContinuation(string line, char escape)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] is ' ' or '\t') end--;
        if (end > 0 && line[end - 1] == escape) return (line[..(end - 1)], false);
        return (line, true);
    }

    private static int LeadingBlanks(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] is ' ' or '\t') i++;
        return i;
    }

    internal static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "…";
}
