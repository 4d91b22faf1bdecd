using System.Text;

namespace Csbuild.Oci.Layers.Tar;

/// <summary>Encoding and decoding of ustar header fields (octal numbers, base-256 numbers, NUL-padded strings).</summary>
internal static class TarFields
{
    public const int BlockSize = 512;

    // Offsets and lengths of the ustar header fields (POSIX.1-1988 / GNU).
    public const int NameOffset = 0, NameLength = 100;
    public const int ModeOffset = 100, ModeLength = 8;
    public const int UidOffset = 108, UidLength = 8;
    public const int GidOffset = 116, GidLength = 8;
    public const int SizeOffset = 124, SizeLength = 12;
    public const int MtimeOffset = 136, MtimeLength = 12;
    public const int ChecksumOffset = 148, ChecksumLength = 8;
    public const int TypeOffset = 156;
    public const int LinkNameOffset = 157, LinkNameLength = 100;
    public const int MagicOffset = 257;
    public const int VersionOffset = 263;
    public const int UnameOffset = 265, UnameLength = 32;
    public const int GnameOffset = 297, GnameLength = 32;
    public const int DevMajorOffset = 329, DevMajorLength = 8;
    public const int DevMinorOffset = 337, DevMinorLength = 8;
    public const int PrefixOffset = 345, PrefixLength = 155;

    public static ReadOnlySpan<byte> UstarMagic => "ustar\0"u8;
    public static ReadOnlySpan<byte> UstarVersion => "00"u8;
    public static ReadOnlySpan<byte> GnuMagic => "ustar  \0"u8;

    /// <summary>Largest value an octal field of <paramref name="fieldLength"/> bytes holds (digits plus a NUL).</summary>
    public static long MaxOctal(int fieldLength) => (1L << (3 * (fieldLength - 1))) - 1;

    /// <summary>Zero-padded octal digits followed by a NUL, like Go's archive/tar.</summary>
    public static void WriteOctal(Span<byte> field, long value)
    {
        if (value < 0 || value > MaxOctal(field.Length))
            throw new ArgumentOutOfRangeException(nameof(value), value, "does not fit the octal field");
        field[^1] = 0;
        for (int i = field.Length - 2; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
    }

    /// <summary>Writes ASCII text truncated to the field; the rest of the field stays NUL.</summary>
    public static void WriteAscii(Span<byte> field, string text)
    {
        int length = Math.Min(text.Length, field.Length);
        for (int i = 0; i < length; i++) field[i] = text[i] < 0x80 ? (byte)text[i] : (byte)'?';
    }

    /// <summary>Parses an octal or (GNU) base-256 number field; <paramref name="what"/> names it in errors.</summary>
    public static long ParseNumber(ReadOnlySpan<byte> field, string what)
    {
        if (!field.IsEmpty && (field[0] & 0x80) != 0)
        {
            if (field[0] == 0xFF) throw new InvalidDataException($"tar header field {what} holds a negative base-256 number");
            long value = field[0] & 0x7F;
            foreach (byte b in field[1..])
            {
                if (value > (long.MaxValue >> 8)) throw new InvalidDataException($"tar header field {what} overflows");
                value = (value << 8) | b;
            }
            return value;
        }
        field = field.Trim(" \0"u8);
        long result = 0;
        foreach (byte b in field)
        {
            if (b is < (byte)'0' or > (byte)'7')
                throw new InvalidDataException($"tar header field {what} is not an octal number");
            if (result > (long.MaxValue >> 3)) throw new InvalidDataException($"tar header field {what} overflows");
            result = (result << 3) | (long)(b - '0');
        }
        return result;
    }

    /// <summary>A NUL-terminated (or field-filling) string, decoded as UTF-8.</summary>
    public static string ParseString(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    /// <summary>Header checksum: the byte sum with the checksum field counted as spaces.</summary>
    public static int UnsignedChecksum(ReadOnlySpan<byte> block)
    {
        int sum = 0;
        for (int i = 0; i < BlockSize; i++)
            sum += i is >= ChecksumOffset and < ChecksumOffset + ChecksumLength ? ' ' : block[i];
        return sum;
    }

    /// <summary>The historical checksum some old tars wrote, summing bytes as signed chars.</summary>
    public static int SignedChecksum(ReadOnlySpan<byte> block)
    {
        int sum = 0;
        for (int i = 0; i < BlockSize; i++)
            sum += i is >= ChecksumOffset and < ChecksumOffset + ChecksumLength ? ' ' : (sbyte)block[i];
        return sum;
    }

    public static bool IsAscii(string text)
    {
        foreach (char c in text) if (c >= 0x80) return false;
        return true;
    }

    public static long PaddingFor(long size) => (BlockSize - (size % BlockSize)) % BlockSize;
}
