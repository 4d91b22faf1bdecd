using System.Globalization;

namespace Csbuild.Oci.Compression;

/// <summary>
/// The default bound on how many bytes one layer or archive may decompress to (decompression bombs):
/// 64 GiB, or <c>CSBUILD_MAX_DECOMPRESSED_SIZE</c> (bytes, or with a K/M/G/T suffix, binary units) so that
/// a CI machine with a small disk can refuse bombs long before they fill it.
/// </summary>
public static class DecompressionLimit
{
    public const string EnvironmentVariable = "CSBUILD_MAX_DECOMPRESSED_SIZE";
    public const long BuiltInDefault = 64L << 30;

    /// <summary>Read on every call (it is cheap), so tests and long-lived hosts can change it.</summary>
    public static long Default => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
        ? Parse(value)
        : BuiltInDefault;

    /// <summary>Parses "1048576", "512M", "2g", "1T"; throws <see cref="FormatException"/> naming the variable otherwise.</summary>
    public static long Parse(string value)
    {
        var text = value.Trim();
        long unit = 1;
        if (text.Length > 0 && char.IsLetter(text[^1]))
        {
            unit = char.ToUpperInvariant(text[^1]) switch
            {
                'K' => 1L << 10,
                'M' => 1L << 20,
                'G' => 1L << 30,
                'T' => 1L << 40,
                _ => 0,
            };
            text = text[..^1];
        }
        if (unit == 0 || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0 ||
            number > long.MaxValue / unit)
            throw new FormatException($"{EnvironmentVariable}='{value}' is not a size (expected bytes, or a number with K, M, G or T)");
        return number * unit;
    }
}
