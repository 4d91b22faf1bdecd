namespace Csbuild.Oci.Layers;

/// <summary>
/// Orders strings by their UTF-8 bytes, as Go's sort.Strings does (BuildKit/continuity walk order). That is code
/// point order; UTF-16 ordinal order differs only when a surrogate pair meets a character in U+E000–U+FFFF.
/// </summary>
public sealed class Utf8OrdinalComparer : IComparer<string>
{
    public static Utf8OrdinalComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int length = Math.Min(x.Length, y.Length);
        for (int i = 0; i < length; i++)
        {
            char a = x[i], b = y[i];
            if (a == b) continue;
            bool aSurrogate = char.IsSurrogate(a), bSurrogate = char.IsSurrogate(b);
            if (aSurrogate != bSurrogate) return aSurrogate ? 1 : -1; // a surrogate encodes a code point above U+FFFF
            return a < b ? -1 : 1;
        }
        return x.Length.CompareTo(y.Length);
    }
}
