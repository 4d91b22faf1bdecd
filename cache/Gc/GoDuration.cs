using System.Globalization;
using System.Text.RegularExpressions;

namespace Csbuild.Cache.Gc;

/// <summary>Durations in Go's syntax, as docker's <c>--filter until=24h</c> takes them: <c>90m</c>, <c>1h30m</c>, <c>2.5h</c>, <c>10s</c>.</summary>
public static partial class GoDuration
{
    /// <exception cref="FormatException">The text is not a duration.</exception>
    public static TimeSpan Parse(string text)
    {
        var t = text.Trim();
        if (t.Length == 0 || !Whole().IsMatch(t))
            throw new FormatException($"invalid duration '{text}': expected e.g. 24h, 90m, 1h30m or 10s");
        var total = TimeSpan.Zero;
        foreach (Match m in Part().Matches(t))
        {
            var number = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "ns" => TimeSpan.FromTicks((long)(number / 100)),
                "us" or "µs" => TimeSpan.FromTicks((long)(number * 10)),
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                "h" => TimeSpan.FromHours(number),
                _ => throw new FormatException($"invalid duration '{text}'"),
            };
        }
        return total;
    }

    [GeneratedRegex(@"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")]
    private static partial Regex Part();
}
