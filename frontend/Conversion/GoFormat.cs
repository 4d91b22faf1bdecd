using System.Globalization;
using System.Text;

namespace Csbuild.Frontend.Conversion;

/// <summary>
/// Go's <c>%q</c> and <c>%v</c> renderings, because BuildKit writes image history with them
/// (<c>CMD ["a" "b"]</c>, <c>VOLUME [/data]</c>, <c>EXPOSE map[80/tcp:{}]</c>, <c>HEALTHCHECK &amp;{…}</c>).
/// </summary>
internal static class GoFormat
{
    /// <summary><c>%q</c> of a string: double-quoted with Go escapes.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    {
                        sb.Append(c).Append(s[++i]);
                    }
                    else if (c < 0x20 || c == 0x7f)
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsSurrogate(c) || c == '\uFFFD' || char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary><c>%q</c> of a []string: <c>["a" "b"]</c>.</summary>
    public static string QuoteList(IEnumerable<string> items) => "[" + string.Join(' ', items.Select(Quote)) + "]";

    /// <summary><c>%v</c> of a []string: <c>[a b]</c>.</summary>
    public static string List(IEnumerable<string> items) => "[" + string.Join(' ', items) + "]";

    /// <summary><c>%q</c> of an int: a Go rune literal, e.g. <c>'\x03'</c>.</summary>
    public static string QuoteRune(int value)
    {
        if (value is >= 0x20 and < 0x7f)
            return value == '\'' ? "'\\''" : value == '\\' ? "'\\\\'" : "'" + (char)value + "'";
        return value switch
        {
            7 => "'\\a'",
            8 => "'\\b'",
            9 => "'\\t'",
            10 => "'\\n'",
            11 => "'\\v'",
            12 => "'\\f'",
            13 => "'\\r'",
            < 0x80 and >= 0 => "'\\x" + value.ToString("x2", CultureInfo.InvariantCulture) + "'",
            <= 0xFFFF and >= 0 => "'\\u" + value.ToString("x4", CultureInfo.InvariantCulture) + "'",
            _ => "'\\U" + value.ToString("x8", CultureInfo.InvariantCulture) + "'",
        };
    }
}
