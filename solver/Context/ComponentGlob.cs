namespace Csbuild.Solver.Context;

/// <summary>Matches one path component against a glob, as Go's filepath.Match does for COPY sources: *, ?, [a-z], [^x], \ escapes.</summary>
public static class ComponentGlob
{
    public static bool HasWildcards(string pattern) => pattern.IndexOfAny(['*', '?', '[']) >= 0;

    public static bool IsMatch(string pattern, string name) => Match(pattern.AsSpan(), name.AsSpan());

    // Iterative matcher with one backtrack point for '*': linear in practice, no exponential blow-up.
    private static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> s)
    {
        int pi = 0, si = 0, starP = -1, starS = 0;
        while (si < s.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                starP = pi++;
                starS = si;
                continue;
            }
            if (pi < p.Length && MatchOne(p, ref pi, s[si], out var consumed) && consumed)
            {
                si++;
                continue;
            }
            if (starP < 0) return false;
            pi = starP + 1;
            si = ++starS;
        }
        while (pi < p.Length && p[pi] == '*') pi++;
        return pi == p.Length;
    }

    // Matches a single non-'*' pattern element at p[pi] against c; advances pi past the element on success.
    private static bool MatchOne(ReadOnlySpan<char> p, ref int pi, char c, out bool consumed)
    {
        consumed = false;
        int start = pi;
        switch (p[pi])
        {
            case '?':
                pi++;
                consumed = true;
                return true;
            case '[':
            {
                int i = pi + 1;
                bool negate = i < p.Length && (p[i] == '^' || p[i] == '!');
                if (negate) i++;
                bool matched = false;
                bool first = true;
                while (i < p.Length && (p[i] != ']' || first))
                {
                    first = false;
                    char lo = p[i] == '\\' && i + 1 < p.Length ? p[++i] : p[i];
                    i++;
                    char hi = lo;
                    if (i + 1 < p.Length && p[i] == '-' && p[i + 1] != ']')
                    {
                        i++;
                        hi = p[i] == '\\' && i + 1 < p.Length ? p[++i] : p[i];
                        i++;
                    }
                    if (lo <= c && c <= hi) matched = true;
                }
                if (i >= p.Length) throw new FormatException($"syntax error in pattern '{p.ToString()}': unterminated [");
                pi = i + 1;
                consumed = matched != negate;
                if (!consumed) pi = start;
                return consumed;
            }
            case '\\' when pi + 1 < p.Length:
                if (p[pi + 1] != c) return false;
                pi += 2;
                consumed = true;
                return true;
            default:
                if (p[pi] != c) return false;
                pi++;
                consumed = true;
                return true;
        }
    }
}
