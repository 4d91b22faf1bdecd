namespace Csbuild.Frontend.Parsing;

/// <summary>Turns one logical line into an <see cref="InstructionNode"/>: name, flags, then arguments split as the instruction wants.</summary>
internal static class LineParser
{
    public static InstructionNode ParseInstruction(string line, SourceMap map, char escape, string fileName, int startLine, int endLine,
        IReadOnlyList<string> comments, bool allowOnbuildChain)
    {
        var lead = 0;
        while (lead < line.Length && char.IsWhiteSpace(line[lead])) lead++;
        var trimmed = line.Trim();
        map = map.Shift(lead);

        var nameEnd = 0;
        while (nameEnd < trimmed.Length && !IsCommandBlank(trimmed[nameEnd])) nameEnd++;
        var name = trimmed[..nameEnd];
        var command = name.ToLowerInvariant();

        DockerfileParseException Error(int offset, string detail, string? hint = null) =>
            new(fileName, map.PositionOf(offset).Line, map.PositionOf(offset).Column, detail, hint, DockerfileParser.Truncate(trimmed));

        if (!InstructionNames.IsKnown(command))
        {
            var suggestion = InstructionNames.Suggest(name);
            var shown = name.Length > 64 ? name[..64] + "…" : name;
            throw Error(0, $"unknown instruction: {shown}" + (suggestion is null ? "" : $" (did you mean {suggestion}?)"),
                suggestion is null ? "instructions are " + string.Join(", ", InstructionNames.All.Select(n => n.ToUpperInvariant())) : null);
        }

        var afterName = trimmed[nameEnd..];
        var (flags, restOffset) = FlagExtractor.Extract(afterName);
        var rest = afterName[restOffset..].Trim();
        var restStart = nameEnd + restOffset;
        while (restStart < trimmed.Length && char.IsWhiteSpace(trimmed[restStart])) restStart++;

        var node = new InstructionNode
        {
            Line = startLine,
            EndLine = endLine,
            Command = command,
            CommandAsWritten = name,
            Flags = flags,
            Original = trimmed,
            Rest = rest,
            Comments = [.. comments],
            Map = map,
        };

        try
        {
            switch (command)
            {
                case "add" or "copy" or "volume":
                    return MaybeJson(node, rest, splitShellForm: true);
                case "cmd" or "entrypoint" or "run" or "shell":
                    return MaybeJson(node, rest, splitShellForm: false);
                case "arg":
                    return node with { Args = ArgumentSplitter.ParseWords(rest, escape) };
                case "env" or "label":
                {
                    var (kv, legacy) = ArgumentSplitter.ParseKeyValues(rest, command.ToUpperInvariant(), escape);
                    return node with { Args = kv, LegacyKeyValueForm = legacy };
                }
                case "expose" or "from":
                    return node with { Args = ArgumentSplitter.SplitWhitespace(rest) };
                case "healthcheck":
                    return Healthcheck(node, rest);
                case "onbuild":
                    return Onbuild(node, rest, restStart, escape, fileName, startLine, endLine, allowOnbuildChain, Error);
                default: // maintainer, stopsignal, user, workdir: the rest of the line as one string
                    return node with { Args = rest.Length == 0 ? [] : [rest] };
            }
        }
        catch (FormatException e)
        {
            throw Error(restStart, e.Message);
        }
    }

    private static bool IsCommandBlank(char c) => c is ' ' or '\t' or '\v' or '\f' or '\r';

    private static InstructionNode MaybeJson(InstructionNode node, string rest, bool splitShellForm)
    {
        if (rest.Length == 0) return node;
        if (ArgumentSplitter.TryParseJsonArray(rest, out var values)) return node with { Args = values, Json = true };
        return node with { Args = splitShellForm ? ArgumentSplitter.SplitWhitespace(rest) : [rest] };
    }

    /// <summary>HEALTHCHECK: its type word (CMD or NONE), then the command in exec or shell form.</summary>
    private static InstructionNode Healthcheck(InstructionNode node, string rest)
    {
        if (rest.Length == 0) return node;
        var sep = 0;
        while (sep < rest.Length && !char.IsWhiteSpace(rest[sep])) sep++;
        var next = sep;
        while (next < rest.Length && char.IsWhiteSpace(rest[next])) next++;
        var type = rest[..sep];
        var command = MaybeJson(node, rest[next..], splitShellForm: false);
        return node with { Args = [type, .. command.Args], Json = command.Json };
    }

    private static InstructionNode Onbuild(InstructionNode node, string rest, int restStart, char escape, string fileName, int startLine, int endLine,
        bool allowOnbuildChain, Func<int, string, string?, DockerfileParseException> error)
    {
        if (rest.Length == 0) return node;
        if (!allowOnbuildChain) throw error(0, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", null);
        var inner = ParseInstruction(rest, node.Map!.Shift(restStart), escape, fileName, startLine, endLine, [], allowOnbuildChain: false);
        return node with { Args = [rest], Next = inner };
    }
}
