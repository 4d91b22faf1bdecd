using System.Text;
using System.Text.RegularExpressions;

namespace Csbuild.Solver.Context;

/// <summary>
/// One .dockerignore pattern: its cleaned text, whether it is a <c>!</c> exception, and its matcher.
/// </summary>
public sealed class PathPattern
{
    internal PathPattern(string text, bool exclusion)
    {
        Text = text;
        Exclusion = exclusion;
        Components = text.Split('/');
        Regex = new Regex(PathPatternMatcher.ToRegex(text, wholePath: true), PathPatternMatcher.Options);
    }

    /// <summary>The cleaned pattern without its <c>!</c>.</summary>
    public string Text { get; }

    /// <summary>True for a <c>!pattern</c> line: it re-includes what earlier lines excluded.</summary>
    public bool Exclusion { get; }

    internal string[] Components { get; }

    internal Regex Regex { get; }

    public bool Matches(string cleanPath) => Regex.IsMatch(cleanPath);

    public override string ToString() => Exclusion ? "!" + Text : Text;
}

/// <summary>
/// Docker's .dockerignore semantics (moby/patternmatcher): patterns are cleaned paths relative to the context
/// root; <c>*</c> and <c>?</c> never cross a <c>/</c>; <c>**</c> matches any number of directories; <c>[...]</c>
/// is a character class (<c>[^...]</c> negated); <c>\</c> escapes; a pattern that matches a parent directory
/// matches everything in it; lines starting with <c>!</c> are exceptions; the last matching line wins.
/// Matching runs on the non-backtracking regex engine, so it is linear in the path length.
/// </summary>
public sealed class PathPatternMatcher
{
    internal const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking | RegexOptions.Singleline;

    private readonly List<PathPattern> _patterns = [];

    /// <exception cref="ArgumentException">A pattern is malformed (a lone <c>!</c>, an unclosed <c>[</c>).</exception>
    public PathPatternMatcher(IEnumerable<string> patterns)
    {
        foreach (var raw in patterns)
        {
            var p = raw.Trim();
            if (p.Length == 0) continue;
            var exclusion = p[0] == '!';
            if (exclusion)
            {
                p = p[1..].Trim();
                if (p.Length == 0) throw new ArgumentException("illegal exclusion pattern: \"!\"");
            }
            p = CleanPath(p);
            if (p.Length > 1 && p[0] == '/') p = p.TrimStart('/');
            try
            {
                _patterns.Add(new PathPattern(p, exclusion));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"syntax error in pattern \"{raw}\": {e.Message}", e);
            }
            HasExclusions |= exclusion;
        }
    }

    public IReadOnlyList<PathPattern> Patterns => _patterns;

    /// <summary>Whether some pattern is a <c>!</c> exception.</summary>
    public bool HasExclusions { get; }

    /// <summary>
    /// Whether the path (relative to the context root, '/'-separated) is excluded: the last pattern that matches
    /// it or one of its parent directories decides.
    /// </summary>
    public bool IsExcluded(string relativePath, bool isDirectory)
    {
        _ = isDirectory; // patterns are cleaned, so a trailing '/' in a pattern does not restrict it to directories (as in Docker)
        var path = CleanPath(relativePath);
        if (path is "." or "") return false;
        var matched = false;
        var lastSlash = path.LastIndexOf('/');
        foreach (var pattern in _patterns)
        {
            // Only a pattern that can change the verdict is evaluated.
            if (pattern.Exclusion != matched) continue;
            var match = pattern.Matches(path);
            for (var slash = path.IndexOf('/'); !match && slash >= 0 && slash <= lastSlash; slash = path.IndexOf('/', slash + 1))
                match = pattern.Matches(path[..slash]);
            if (match) matched = !pattern.Exclusion;
        }
        return matched;
    }

    /// <summary>
    /// Whether a <c>!</c> exception could re-include something below the directory, so an excluded directory
    /// must still be walked.
    /// </summary>
    public bool MayIncludeInside(string relativeDirectory)
    {
        if (!HasExclusions) return false;
        var dir = CleanPath(relativeDirectory);
        var parts = dir is "." or "" ? [] : dir.Split('/');
        foreach (var pattern in _patterns)
            if (pattern.Exclusion && CouldMatchBelow(pattern.Components, parts))
                return true;
        return false;
    }

    /// <summary>A directory can be skipped wholesale when it is excluded and no exception reaches inside it.</summary>
    public bool CanSkipDirectory(string relativeDirectory) =>
        IsExcluded(relativeDirectory, isDirectory: true) && !MayIncludeInside(relativeDirectory);

    private static bool CouldMatchBelow(string[] pattern, string[] dir)
    {
        for (var i = 0; i < dir.Length; i++)
        {
            if (i >= pattern.Length) return true; // the exception names an ancestor: everything below is re-included
            if (pattern[i].Contains("**", StringComparison.Ordinal)) return true;
            if (!Regex.IsMatch(dir[i], ToRegex(pattern[i], wholePath: false), Options)) return false;
        }
        return true;
    }

    /// <summary>Go's <c>filepath.Clean</c> for '/'-separated paths.</summary>
    public static string CleanPath(string path)
    {
        if (path.Length == 0) return ".";
        var rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else if (!rooted) parts.Add("..");
                continue;
            }
            parts.Add(part);
        }
        var joined = string.Join('/', parts);
        if (rooted) return "/" + joined;
        return joined.Length == 0 ? "." : joined;
    }

    /// <summary>Translates a pattern (or one of its components) to a regular expression, as moby/patternmatcher does.</summary>
    internal static string ToRegex(string pattern, bool wholePath)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when wholePath && i + 1 < pattern.Length && pattern[i + 1] == '*':
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/') i++; // "**/" is "**"
                    sb.Append(i + 1 >= pattern.Length ? ".*" : "(.*/)?");
                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '\\':
                    sb.Append(i + 1 < pattern.Length ? Regex.Escape(pattern[++i].ToString()) : @"\\");
                    break;
                case '[':
                    i = AppendClass(pattern, i, sb);
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        return sb.Append('$').ToString();
    }

    private static int AppendClass(string pattern, int open, StringBuilder sb)
    {
        var i = open + 1;
        sb.Append('[');
        if (i < pattern.Length && pattern[i] == '^')
        {
            sb.Append('^');
            i++;
        }
        var first = true;
        for (; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == ']' && !first) return AppendClose(sb, i);
            first = false;
            if (c == '\\' && i + 1 < pattern.Length) c = pattern[++i];
            else if (c == '-' && sb[^1] != '[' && sb[^1] != '^' && i + 1 < pattern.Length && pattern[i + 1] != ']')
            {
                sb.Append('-');
                continue;
            }
            if (c == '/') throw new ArgumentException("'/' in a character class");
            sb.Append(c is '\\' or ']' or '[' or '^' or '-' ? "\\" + c : c.ToString());
        }
        throw new ArgumentException("unclosed character class");
    }

    private static int AppendClose(StringBuilder sb, int index)
    {
        sb.Append(']');
        return index;
    }
}
