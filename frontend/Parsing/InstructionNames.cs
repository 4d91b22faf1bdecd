namespace Csbuild.Frontend.Parsing;

/// <summary>The Dockerfile instructions, and the nearest one to a misspelt name.</summary>
public static class InstructionNames
{
    public static readonly IReadOnlyList<string> All =
    [
        "add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label",
        "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir",
    ];

    private static readonly HashSet<string> Set = [.. All];

    public static bool IsKnown(string lowerName) => Set.Contains(lowerName);

    /// <summary>The known instruction closest to <paramref name="name"/> (edit distance at most 2), or null.</summary>
    public static string? Suggest(string name)
    {
        if (name.Length > 32) return null;
        var lower = name.ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in All)
        {
            var d = EditDistance(lower, candidate);
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.Max(1, Math.Min(2, lower.Length / 3)) ? best!.ToUpperInvariant() : null;
    }

    /// <summary>Optimal-string-alignment distance: an adjacent transposition ("CPOY") counts as one edit.</summary>
    internal static int Distance(string a, string b) => a.Length > 64 || b.Length > 64 ? int.MaxValue : EditDistance(a, b);

    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }
}
