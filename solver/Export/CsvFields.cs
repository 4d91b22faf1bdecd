using System.Text;

namespace Csbuild.Solver.Export;

/// <summary>The comma-separated KEY=VALUE fields of buildx flags (<c>--output</c>, <c>--cache-to</c>, <c>--cache-from</c>).</summary>
internal static class CsvFields
{
    /// <summary>Splits on commas outside double quotes and removes the quotes, as Go's encoding/csv does for buildx.</summary>
    public static List<string> Split(string text, string flag)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"')
            {
                if (quoted && i + 1 < text.Length && text[i + 1] == '"') { current.Append('"'); i++; }
                else quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        if (quoted) throw new FormatException($"invalid {flag} '{text}': unterminated quote");
        fields.Add(current.ToString());
        return fields.Where(f => f.Length > 0).ToList();
    }

    /// <summary>The fields as a KEY → VALUE map (keys lower-cased); a field without '=' or a repeated key is an error.</summary>
    public static Dictionary<string, string> Attributes(string text, string flag)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in Split(text, flag))
        {
            var eq = field.IndexOf('=');
            if (eq <= 0) throw new FormatException($"invalid {flag} '{text}': '{field}' is not KEY=VALUE");
            var key = field[..eq].Trim().ToLowerInvariant();
            if (!attributes.TryAdd(key, field[(eq + 1)..])) throw new FormatException($"invalid {flag} '{text}': {key} given twice");
        }
        return attributes;
    }
}
