using Sprache;

namespace Csbuild.Frontend.Parsing;

/// <summary>
/// Recognises parser directives (<c># syntax=</c>, <c># escape=</c>, <c># check=</c>). They are only looked for
/// at the top of the file: the first line that is not a directive (a blank line, another comment, an instruction,
/// or a directive of an unknown name) ends the search, as the Dockerfile reference says.
/// </summary>
internal sealed class ParserDirectives
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string> { "syntax", "escape", "check" };

    private static readonly Parser<char> Blank = Parse.Chars(' ', '\t');

    // # [ \t]* name [ \t]* = [ \t]* value   (value: the rest of the line, trailing blanks trimmed)
    private static readonly Parser<(string Name, string Value)> Directive =
        from hash in Parse.Char('#')
        from _1 in Blank.Many()
        from first in Parse.Letter
        from rest in Parse.LetterOrDigit.Many().Text()
        from _2 in Blank.Many()
        from eq in Parse.Char('=')
        from _3 in Blank.Many()
        from value in Parse.AnyChar.AtLeastOnce().Text()
        select (first + rest, value.TrimEnd(' ', '\t'));

    private readonly List<KeyValuePair<string, string>> _found = [];
    private bool _done;

    public char EscapeChar { get; private set; } = '\\';

    public IReadOnlyList<KeyValuePair<string, string>> Found => _found;

    /// <summary>Looks at one physical line (newline removed). Throws on a repeated or invalid directive.</summary>
    public void Inspect(string line, int lineNumber, string fileName)
    {
        if (_done) return;
        // A directive line is short; anything long is certainly not one (and we don't want to run a grammar over 10 MB).
        if (line.Length > 4096 || line.Length == 0 || line[0] != '#')
        {
            _done = true;
            return;
        }
        var result = Directive.End().TryParse(line);
        if (!result.WasSuccessful || result.Value.Value.Length == 0)
        {
            _done = true;
            return;
        }
        var name = result.Value.Name.ToLowerInvariant();
        if (!Known.Contains(name))
        {
            _done = true;
            return;
        }
        foreach (var (k, _) in _found)
            if (k == name)
                throw new DockerfileParseException(fileName, lineNumber, 1, $"only one {name} parser directive can be used", offendingText: line);
        var value = result.Value.Value;
        if (name == "escape")
        {
            if (value != "`" && value != "\\")
                throw new DockerfileParseException(fileName, lineNumber, line.IndexOf('=') + 2,
                    $"invalid escape token '{value}' does not match ` or \\", "use # escape=` or # escape=\\", line);
            EscapeChar = value[0];
        }
        _found.Add(new(name, value));
    }

    /// <summary>Called when an instruction starts: no directive may follow.</summary>
    public void Stop() => _done = true;
}
