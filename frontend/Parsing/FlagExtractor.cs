using System.Text;

namespace Csbuild.Frontend.Parsing;

/// <summary>
/// Splits the leading <c>--flag[=value]</c> words off an instruction's arguments, as BuildKit's parser does:
/// quotes inside a flag group words and are removed, a backslash escapes the next character, and a bare
/// <c>--</c> ends the flags.
/// </summary>
internal static class FlagExtractor
{
    /// <returns>The flags, and the offset in <paramref name="text"/> where the arguments start.</returns>
    public static (List<string> Flags, int RestOffset) Extract(string text)
    {
        var flags = new List<string>();
        var word = new StringBuilder();
        var pos = 0;
        while (true)
        {
            while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
            if (pos >= text.Length) return (flags, text.Length);
            if (text[pos] != '-' || pos + 1 >= text.Length || text[pos + 1] != '-') return (flags, pos);

            // One flag word, up to an unquoted blank.
            word.Clear();
            var blankOk = false;
            char quote = '\0';
            for (; pos < text.Length; pos++)
            {
                var ch = text[pos];
                if (quote == '\0')
                {
                    if (char.IsWhiteSpace(ch)) break;
                    if (ch is '\'' or '"')
                    {
                        quote = ch;
                        blankOk = true;
                        continue;
                    }
                }
                else if (ch == quote)
                {
                    quote = '\0';
                    continue;
                }
                if (ch == '\\')
                {
                    if (pos + 1 == text.Length) continue; // a backslash at the end is dropped
                    ch = text[++pos];
                }
                word.Append(ch);
            }
            if (word.Length == 2 && word[0] == '-' && word[1] == '-' && !blankOk) return (flags, pos);
            if (blankOk || word.Length > 0) flags.Add(word.ToString());
        }
    }
}
