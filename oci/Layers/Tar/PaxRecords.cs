using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Csbuild.Oci.Layers.Tar;

/// <summary>Header values a PAX extended header ('x') overrides for the entry that follows it.</summary>
internal sealed class PaxOverrides
{
    public string? Path;
    public string? LinkPath;
    public long? Size;
    public int? Uid;
    public int? Gid;
    public (long Seconds, int Nanoseconds)? ModificationTime;
    public List<TarXattr>? Xattrs;

    public bool IsEmpty => Path is null && LinkPath is null && Size is null && Uid is null && Gid is null &&
        ModificationTime is null && Xattrs is null;
}

/// <summary>
/// PAX extended header records: <c>"%d %s=%s\n"</c> where the decimal length counts the whole record.
/// Keys and values are raw bytes (xattr values are binary), which is why this is not done with strings.
/// </summary>
internal static class PaxRecords
{
    public static ReadOnlySpan<byte> XattrPrefix => "SCHILY.xattr."u8;

    /// <summary>More xattrs than Linux can hold on one file (their names alone are limited to 64 KiB) means a hostile header.</summary>
    public const int MaxXattrsPerEntry = 4096;

    /// <summary>Appends one record to <paramref name="output"/>.</summary>
    public static void Append(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int withoutLength = 3 + key.Length + value.Length; // ' ', '=', '\n'
        int total = withoutLength + 1;
        while (total != withoutLength + DigitCount(total)) total = withoutLength + DigitCount(total);
        var span = output.GetSpan(total);
        Utf8Formatter.TryFormat(total, span, out int written);
        span[written++] = (byte)' ';
        key.CopyTo(span[written..]);
        written += key.Length;
        span[written++] = (byte)'=';
        value.CopyTo(span[written..]);
        written += value.Length;
        span[written++] = (byte)'\n';
        output.Advance(written);
    }

    private static int DigitCount(int value) => value < 10 ? 1 : 1 + DigitCount(value / 10);

    /// <summary>Parses an 'x' header payload, merging its records into <paramref name="into"/> (later records win).</summary>
    public static void Parse(ReadOnlySpan<byte> data, PaxOverrides into)
    {
        while (!data.IsEmpty)
        {
            int space = data.IndexOf((byte)' ');
            if (space <= 0 || !Utf8Parser.TryParse(data[..space], out int length, out int consumed) || consumed != space ||
                length <= space + 2 || length > data.Length || data[length - 1] != (byte)'\n')
                throw new InvalidDataException("malformed PAX extended header record");
            var record = data[(space + 1)..(length - 1)];
            data = data[length..];
            int equals = record.IndexOf((byte)'=');
            if (equals <= 0) throw new InvalidDataException("malformed PAX extended header record (no key)");
            Apply(record[..equals], record[(equals + 1)..], into);
        }
    }

    private static void Apply(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PaxOverrides into)
    {
        if (key.StartsWith(XattrPrefix))
        {
            var name = key[XattrPrefix.Length..].ToArray();
            if (name.Length == 0) throw new InvalidDataException("PAX xattr record without an attribute name");
            into.Xattrs ??= [];
            into.Xattrs.RemoveAll(x => x.Name.AsSpan().SequenceEqual(name));
            if (into.Xattrs.Count >= MaxXattrsPerEntry)
                throw new InvalidDataException($"PAX header carries more than {MaxXattrsPerEntry} xattrs");
            into.Xattrs.Add(new TarXattr(name, value.ToArray()));
            return;
        }
        if (key.StartsWith("GNU.sparse."u8))
            throw new InvalidDataException("sparse files (GNU.sparse PAX records) are not supported in layers");

        bool clear = value.IsEmpty; // POSIX: an empty value removes the override
        switch (Encoding.ASCII.GetString(key))
        {
            case "path": into.Path = clear ? null : Text(value, "path"); break;
            case "linkpath": into.LinkPath = clear ? null : Text(value, "linkpath"); break;
            case "size": into.Size = clear ? null : Decimal(value, "size"); break;
            case "uid": into.Uid = clear ? null : Id(value, "uid"); break;
            case "gid": into.Gid = clear ? null : Id(value, "gid"); break;
            case "mtime": into.ModificationTime = clear ? null : Timestamp(value); break;
            default: break; // atime, ctime, uname, gname, comment, vendor records: not needed for layers
        }
    }

    private static string Text(ReadOnlySpan<byte> value, string key)
    {
        if (value.IndexOf((byte)0) >= 0) throw new InvalidDataException($"PAX {key} record contains a NUL byte");
        return Encoding.UTF8.GetString(value);
    }

    private static long Decimal(ReadOnlySpan<byte> value, string key)
    {
        if (!Utf8Parser.TryParse(value, out long number, out int consumed) || consumed != value.Length || number < 0)
            throw new InvalidDataException($"PAX {key} record is not a non-negative decimal number");
        return number;
    }

    private static int Id(ReadOnlySpan<byte> value, string key)
    {
        long id = Decimal(value, key);
        return id <= int.MaxValue ? (int)id : throw new InvalidDataException($"PAX {key} record {id} is out of range");
    }

    /// <summary>"seconds[.fraction]" with an optional minus sign; the fraction is kept to nanoseconds.</summary>
    private static (long, int) Timestamp(ReadOnlySpan<byte> value)
    {
        bool negative = !value.IsEmpty && value[0] == (byte)'-';
        var digits = negative ? value[1..] : value;
        int dot = digits.IndexOf((byte)'.');
        var whole = dot < 0 ? digits : digits[..dot];
        var fraction = dot < 0 ? [] : digits[(dot + 1)..];
        if (whole.IsEmpty || !Utf8Parser.TryParse(whole, out long seconds, out int consumed) || consumed != whole.Length || seconds < 0)
            throw new InvalidDataException("PAX mtime record is not a decimal timestamp");
        int nanoseconds = 0;
        for (int i = 0; i < 9; i++)
        {
            int digit = i < fraction.Length ? fraction[i] - '0' : 0;
            if (digit is < 0 or > 9) throw new InvalidDataException("PAX mtime record is not a decimal timestamp");
            nanoseconds = nanoseconds * 10 + digit;
        }
        if (!negative) return (seconds, nanoseconds);
        return nanoseconds == 0 ? (-seconds, 0) : (-seconds - 1, 1_000_000_000 - nanoseconds);
    }
}
