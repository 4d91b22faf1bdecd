using System.Globalization;

namespace Csbuild.Cache.Gc;

/// <summary>Sizes as users write them on command lines: <c>512MB</c>, <c>10GB</c>, <c>1.5GiB</c>, <c>100</c> (bytes).</summary>
public static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30), ("tib", 1L << 40),
        ("kb", 1000L), ("mb", 1000L * 1000), ("gb", 1000L * 1000 * 1000), ("tb", 1000L * 1000 * 1000 * 1000),
        ("k", 1000L), ("m", 1000L * 1000), ("g", 1000L * 1000 * 1000), ("t", 1000L * 1000 * 1000 * 1000),
        ("b", 1L),
    ];

    /// <exception cref="FormatException">The text is not a non-negative size.</exception>
    public static long Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        long factor = 1;
        foreach (var (suffix, f) in Units)
        {
            if (!t.EndsWith(suffix, StringComparison.Ordinal)) continue;
            t = t[..^suffix.Length].TrimEnd();
            factor = f;
            break;
        }
        if (!double.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number < 0)
            throw new FormatException($"invalid size '{text}': expected a number with an optional unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)");
        var bytes = number * factor;
        if (bytes >= long.MaxValue) throw new FormatException($"invalid size '{text}': too large");
        return (long)bytes;
    }

    /// <summary>Decimal units, as docker prints sizes: <c>1.23GB</c>.</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1) { value /= 1000; unit++; }
        return unit == 0 ? $"{bytes}B" : value.ToString("0.##", CultureInfo.InvariantCulture) + units[unit];
    }
}
