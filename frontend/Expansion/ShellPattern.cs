using System.Text;
using System.Text.RegularExpressions;

namespace Csbuild.Frontend.Expansion;

/// <summary>
/// Shell patterns of <c>${v#p}</c>, <c>${v%p}</c> and <c>${v/p/r}</c>: <c>*</c>, <c>?</c>, <c>[...]</c> and the
/// backslash escape. They are translated to regular expressions run by the non-backtracking engine, so a hostile
/// pattern can't take more than linear time.
/// </summary>
internal static class ShellPattern
{
    public static string TrimPrefix(string value, string pattern, bool greedy)
    {
        var match = ToRegex(pattern, greedy, anchored: true).Match(value);
        return match.Success ? value[match.Length..] : value;
    }

    /// <summary>Regular expressions find leftmost matches, so the shortest/longest suffix is found by reversing both sides.</summary>
    public static string TrimSuffix(string value, string pattern, bool greedy)
    {
        var reversed = Reverse(value);
        var match = ToRegex(ReversePattern(pattern), greedy, anchored: true).Match(reversed);
        return match.Success ? Reverse(reversed[match.Length..]) : value;
    }

    public static string Replace(string value, string pattern, string replacement, bool all)
    {
        var regex = ToRegex(pattern, greedy: true, anchored: false);
        if (all) return ReplaceAll(regex, value, replacement);
        var match = regex.Match(value);
        return match.Success ? string.Concat(value.AsSpan(0, match.Index), replacement, value.AsSpan(match.Index + match.Length)) : value;
    }

    /// <summary>Go's ReplaceAllString: an empty match right after the previous match is not replaced.</summary>
    private static string ReplaceAll(Regex regex, string value, string replacement)
    {
        var sb = new StringBuilder(value.Length);
        var pos = 0;
        var lastEnd = -1;
        for (var m = regex.Match(value); m.Success; m = m.NextMatch())
        {
            if (m.Length == 0 && m.Index == lastEnd) continue;
            sb.Append(value, pos, m.Index - pos).Append(replacement);
            pos = lastEnd = m.Index + m.Length;
        }
        return sb.Append(value, pos, value.Length - pos).ToString();
    }

    internal static Regex ToRegex(string pattern, bool greedy, bool anchored)
    {
        var sb = new StringBuilder(pattern.Length + 8);
        if (anchored) sb.Append(@"\A");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    sb.Append(greedy ? ".*" : ".*?");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '\\':
                    // An escaped character stands for itself; "\}" is how a } is written inside ${}.
                    if (i + 1 < pattern.Length) sb.Append(Regex.Escape(pattern[++i].ToString()));
                    else sb.Append(@"\\");
                    break;
                case '[':
                    var end = BracketEnd(pattern, i);
                    if (end < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }
                    sb.Append(BracketToRegex(pattern.AsSpan(i + 1, end - i - 1)));
                    i = end;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        try
        {
            return new Regex(sb.ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (ArgumentException e)
        {
            throw new ExpansionException($"invalid pattern ({pattern}) in substitution: {e.Message}");
        }
    }

    /// <summary>Index of the ']' closing the bracket expression opened at <paramref name="open"/>, or -1.</summary>
    private static int BracketEnd(string pattern, int open)
    {
        var i = open + 1;
        if (i < pattern.Length && (pattern[i] == '!' || pattern[i] == '^')) i++;
        if (i < pattern.Length && pattern[i] == ']') i++; // a leading ] is a literal member
        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\') i++;
            else if (pattern[i] == ']') return i;
        }
        return -1;
    }

    private static string BracketToRegex(ReadOnlySpan<char> body)
    {
        var sb = new StringBuilder("[");
        var i = 0;
        if (body.Length > 0 && (body[0] == '!' || body[0] == '^'))
        {
            sb.Append('^');
            i = 1;
        }
        for (; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '\\' && i + 1 < body.Length) c = body[++i];
            if (c == '-' && i > 0 && i < body.Length - 1) sb.Append('-');
            else if (c is '\\' or ']' or '[' or '^' or '-') sb.Append('\\').Append(c);
            else sb.Append(c);
        }
        return sb.Append(']').ToString();
    }

    private static string Reverse(string s)
    {
        var chars = s.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }

    /// <summary>Reverses a pattern while keeping escapes and bracket expressions intact.</summary>
    private static string ReversePattern(string pattern)
    {
        var tokens = new List<string>();
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                tokens.Add(pattern.Substring(i, 2));
                i++;
            }
            else if (pattern[i] == '[' && BracketEnd(pattern, i) is var end and >= 0)
            {
                tokens.Add(pattern[i..(end + 1)]);
                i = end;
            }
            else
            {
                tokens.Add(pattern[i].ToString());
            }
        }
        tokens.Reverse();
        return string.Concat(tokens);
    }
}
