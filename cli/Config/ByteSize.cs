using System.Globalization;

namespace Csbuild.Cli.Config;

/// <summary>
/// Sizes as docker's config files write them ("512MB", "20GB", "1.5GiB", "1048576"): units are binary, as docker's
/// <c>RAMInBytes</c> reads them, so "1GB" and "1GiB" both mean 1024³ bytes.
/// </summary>
public static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("TIB", 1L << 40), ("TB", 1L << 40), ("T", 1L << 40),
        ("GIB", 1L << 30), ("GB", 1L << 30), ("G", 1L << 30),
        ("MIB", 1L << 20), ("MB", 1L << 20), ("M", 1L << 20),
        ("KIB", 1L << 10), ("KB", 1L << 10), ("K", 1L << 10),
        ("B", 1),
    ];

    public static long Parse(string text, string what)
    {
        var trimmed = text.Trim();
        var upper = trimmed.ToUpperInvariant();
        long factor = 1;
        var number = trimmed;
        foreach (var (suffix, f) in Units)
        {
            if (!upper.EndsWith(suffix, StringComparison.Ordinal)) continue;
            factor = f;
            number = trimmed[..^suffix.Length].TrimEnd();
            break;
        }
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value < 0)
            throw new FormatException($"{what}: invalid size '{text}' (expected e.g. 512MB, 20GB or a byte count)");
        var bytes = value * factor;
        if (bytes > long.MaxValue) throw new FormatException($"{what}: size '{text}' is too large");
        return (long)bytes;
    }

    /// <summary>The shortest exact binary form ("20GB", "1536MB"), or plain bytes.</summary>
    public static string Format(long bytes)
    {
        foreach (var (suffix, factor) in new[] { ("TB", 1L << 40), ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10) })
            if (bytes >= factor && bytes % factor == 0) return (bytes / factor).ToString(CultureInfo.InvariantCulture) + suffix;
        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}
