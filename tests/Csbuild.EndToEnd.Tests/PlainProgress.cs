using System.Text.RegularExpressions;

namespace Csbuild.EndToEnd.Tests;

/// <summary>Reads BuildKit-style plain progress: which steps ran (DONE) and which were cached.</summary>
public sealed partial class PlainProgress
{
    private readonly Dictionary<string, string> _names = new();
    private readonly Dictionary<string, string> _outcomes = new();

    public PlainProgress(string output)
    {
        foreach (var line in output.Split('\n'))
        {
            var m = Line().Match(line.TrimEnd('\r'));
            if (!m.Success) continue;
            var (id, rest) = (m.Groups[1].Value, m.Groups[2].Value);
            if (!_names.ContainsKey(id)) { _names[id] = rest; continue; }
            if (rest == "CACHED") _outcomes[id] = "CACHED";
            else if (rest.StartsWith("DONE ", StringComparison.Ordinal)) _outcomes[id] = "DONE";
            else if (rest.StartsWith("ERROR", StringComparison.Ordinal)) _outcomes[id] = "ERROR";
        }
    }

    /// <summary>The outcome of the step whose name contains <paramref name="fragment"/>: CACHED, DONE or ERROR.</summary>
    public string OutcomeOf(string fragment)
    {
        var matches = _names.Where(n => n.Value.Contains(fragment, StringComparison.Ordinal)).ToList();
        Assert.True(matches.Count == 1, $"expected one step named like '{fragment}', found: {string.Join(" | ", _names.Values)}");
        return _outcomes.TryGetValue(matches[0].Key, out var outcome) ? outcome : "NONE";
    }

    public IEnumerable<string> StepsWith(string outcome) =>
        _names.Where(n => _outcomes.TryGetValue(n.Key, out var o) && o == outcome).Select(n => n.Value);

    [GeneratedRegex(@"^#(\d+) (.*)$")]
    private static partial Regex Line();
}
