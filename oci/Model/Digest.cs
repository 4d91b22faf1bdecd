using System.Security.Cryptography;

namespace Csbuild.Oci.Model;

/// <summary>A content digest such as <c>sha256:ab12…</c>. Only sha256 is produced; sha512 is accepted when parsing.</summary>
public readonly record struct Digest(string Algorithm, string Hex)
{
    public static Digest Parse(string value)
    {
        if (!TryParse(value, out var digest))
            throw new FormatException($"invalid digest '{value}': expected sha256:<64 hex digits>");
        return digest;
    }

    public static bool TryParse(string? value, out Digest digest)
    {
        digest = default;
        if (string.IsNullOrEmpty(value)) return false;
        int colon = value.IndexOf(':');
        if (colon <= 0) return false;
        var algorithm = value[..colon];
        var hex = value[(colon + 1)..];
        int expected = algorithm switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        if (expected < 0 || hex.Length != expected) return false;
        foreach (var c in hex)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        digest = new Digest(algorithm, hex);
        return true;
    }

    public static Digest FromHash(ReadOnlySpan<byte> sha256Hash) => new("sha256", Convert.ToHexStringLower(sha256Hash));

    public static Digest Of(ReadOnlySpan<byte> content) => FromHash(SHA256.HashData(content));

    public static Digest Of(string utf8Text) => Of(System.Text.Encoding.UTF8.GetBytes(utf8Text));

    public override string ToString() => Algorithm + ":" + Hex;
}
