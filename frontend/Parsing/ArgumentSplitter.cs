using System.Text;
using System.Text.Json;

namespace Csbuild.Frontend.Parsing;

/// <summary>
/// The ways BuildKit's parser splits an instruction's arguments: at blanks, into quote-aware words, as a JSON
/// string array, or as key/value pairs.
/// </summary>
internal static class ArgumentSplitter
{
    public const string NotStringArray = "when using JSON array syntax, arrays must be comprised of strings only";

    private static bool IsSplitBlank(char c) => c is ' ' or '\t' or '\v' or '\f' or '\r';

    /// <summary>Splits at runs of blanks (no quote handling), as for FROM, EXPOSE and the shell form of COPY.</summary>
    public static List<string> SplitWhitespace(string rest)
    {
        var result = new List<string>();
        if (rest.Length == 0) return result;
        var start = 0;
        for (var i = 0; i <= rest.Length; i++)
        {
            if (i < rest.Length && !IsSplitBlank(rest[i])) continue;
            result.Add(rest[start..i]);
            while (i + 1 < rest.Length && IsSplitBlank(rest[i + 1])) i++;
            start = i + 1;
        }
        return result;
    }

    /// <summary>
    /// Splits into words at unquoted blanks, keeping quotes and escapes as written (ARG, ENV, LABEL).
    /// </summary>
    public static List<string> ParseWords(string rest, char escape)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var blankOk = false;
        char quote = '\0';
        for (var pos = 0; pos < rest.Length; pos++)
        {
            var ch = rest[pos];
            if (!inWord)
            {
                if (char.IsWhiteSpace(ch)) continue;
                inWord = true;
            }
            if (quote == '\0')
            {
                if (char.IsWhiteSpace(ch))
                {
                    if (blankOk || word.Length > 0) words.Add(word.ToString());
                    word.Clear();
                    blankOk = false;
                    inWord = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                }
                if (ch == escape)
                {
                    if (pos + 1 == rest.Length) continue; // an escape at the end is dropped
                    // Outside quotes the escape and the next character are both kept, even a quote.
                    word.Append(ch);
                    ch = rest[++pos];
                }
                word.Append(ch);
            }
            else
            {
                if (ch == quote) quote = '\0';
                else if (ch == escape && quote != '\'')
                {
                    if (pos + 1 == rest.Length) continue;
                    word.Append(ch);
                    ch = rest[++pos];
                }
                word.Append(ch);
            }
        }
        if (inWord && (blankOk || word.Length > 0)) words.Add(word.ToString());
        return words;
    }

    /// <summary>
    /// Reads <paramref name="rest"/> as a JSON array of strings. Returns false when it is not valid JSON at all
    /// (the instruction then falls back to shell form); throws <see cref="FormatException"/> when it is a valid JSON
    /// array with something other than strings in it.
    /// </summary>
    public static bool TryParseJsonArray(string rest, out List<string> values)
    {
        values = [];
        var trimmed = rest.TrimStart();
        if (!trimmed.StartsWith('[')) return false;
        var notString = false;
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(trimmed), new JsonReaderOptions { MaxDepth = 10_000 });
            while (reader.Read())
            {
                if (reader.CurrentDepth != 1) continue;
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        values.Add(reader.GetString()!);
                        break;
                    case JsonTokenType.EndArray:
                        break;
                    default:
                        notString = true;
                        break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            values = [];
            return false;
        }
        if (notString) throw new FormatException(NotStringArray);
        return true;
    }

    /// <summary>
    /// ENV and LABEL: <c>KEY value words</c> (legacy: one pair, the value is the rest of the line) when the first word
    /// has no '=', otherwise <c>k=v k2="v 2"</c> pairs. Keys and values keep their quotes.
    /// </summary>
    public static (List<string> KeyValues, bool Legacy) ParseKeyValues(string rest, string instruction, char escape)
    {
        var words = ParseWords(rest, escape);
        var result = new List<string>();
        if (words.Count == 0) return (result, false);
        if (!words[0].Contains('='))
        {
            var cut = 0;
            while (cut < rest.Length && !IsSplitBlank(rest[cut])) cut++;
            var valueStart = cut;
            while (valueStart < rest.Length && IsSplitBlank(rest[valueStart])) valueStart++;
            if (valueStart >= rest.Length)
                throw new FormatException($"{instruction} must have two arguments");
            result.Add(rest[..cut]);
            result.Add(rest[valueStart..]);
            return (result, true);
        }
        foreach (var word in words)
        {
            var eq = word.IndexOf('=');
            if (eq < 0)
                throw new FormatException($"Syntax error - can't find = in \"{word}\". Must be of the form: name=value");
            result.Add(word[..eq]);
            result.Add(word[(eq + 1)..]);
        }
        return (result, false);
    }
}
