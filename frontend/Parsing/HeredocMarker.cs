using Csbuild.Frontend.Expansion;
using Sprache;

namespace Csbuild.Frontend.Parsing;

/// <summary>A <c>[n]&lt;&lt;[-]WORD</c> here-document marker found on an instruction line.</summary>
internal sealed record HeredocMarker(string Name, bool Expand, bool Chomp, int FileDescriptor);

/// <summary>Finds here-document markers the way BuildKit does: shell words of the line matching <c>^(\d*)&lt;&lt;(-?)([^&lt;]*)$</c>.</summary>
internal static class HeredocMarkers
{
    private static readonly Parser<(string Fd, bool Chomp, string Word)> Marker =
        from fd in Parse.Digit.Many().Text()
        from open in Parse.String("<<")
        from chomp in Parse.Char('-').Optional()
        from word in Parse.CharExcept('<').AtLeastOnce().Text()
        select (fd, chomp.IsDefined, word);

    private static readonly ShellLexer RawWords = new('\\') { RawQuotes = true, RawEscapes = true };
    private static readonly ShellLexer Unquoting = new('\\') { SkipUnsetEnv = true };
    private static readonly ShellLexer Quoting = new('\\') { SkipUnsetEnv = true, RawQuotes = true };

    private static string? NoVariables(string name) => null;

    public static List<HeredocMarker> FromLine(string line)
    {
        var result = new List<HeredocMarker>();
        IReadOnlyList<string> words;
        try
        {
            words = RawWords.ProcessWords(line, NoVariables);
        }
        catch (ExpansionException)
        {
            return result; // an unbalanced quote: no heredoc; the instruction itself reports the error later
        }
        foreach (var w in words)
        {
            if (w.Length > 4096 || !w.Contains("<<")) continue;
            var parsed = Marker.End().TryParse(w);
            if (!parsed.WasSuccessful) continue;
            var (fd, chomp, rest) = parsed.Value;
            var marker = FromWord(rest, chomp, fd);
            if (marker is not null) result.Add(marker);
        }
        return result;
    }

    /// <summary>
    /// The delimiter is the word with quotes removed; if removing quotes changed it, part of it was quoted and the
    /// body is not expanded (as in the shell).
    /// </summary>
    private static HeredocMarker? FromWord(string rest, bool chomp, string fd)
    {
        IReadOnlyList<string> unquoted, raw;
        try
        {
            unquoted = Unquoting.ProcessWords(rest, NoVariables);
            raw = Quoting.ProcessWords(rest, NoVariables);
        }
        catch (ExpansionException e)
        {
            throw new FormatException("invalid heredoc delimiter " + rest + ": " + e.Message);
        }
        if (unquoted.Count != 1 || raw.Count != 1) return null;
        var word = unquoted[0];
        static int Quotes(string s) => s.Count(c => c is '\'' or '"');
        var expand = Quotes(word) == Quotes(raw[0]);
        _ = int.TryParse(fd.Length > 9 ? "0" : fd, out var fdNumber);
        return new HeredocMarker(word, expand, chomp, fdNumber);
    }

    /// <summary>Whether a single word is exactly a heredoc marker (e.g. a COPY source <c>&lt;&lt;EOF</c>).</summary>
    public static HeredocMarker? ParseWord(string word)
    {
        if (word.Length > 4096 || !word.Contains("<<")) return null;
        var parsed = Marker.End().TryParse(word);
        if (!parsed.WasSuccessful) return null;
        try
        {
            return FromWord(parsed.Value.Word, parsed.Value.Chomp, parsed.Value.Fd);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
