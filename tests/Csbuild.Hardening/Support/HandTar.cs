using System.Text;

namespace Csbuild.Hardening.Support;

/// <summary>
/// Writes tar archives header byte by header byte (ustar), so a test can produce what no well-behaved tar writer
/// would: names with "..", absolute names, links out of the tree, lying size fields, missing end markers.
/// </summary>
public sealed class HandTar
{
    private const int Block = 512;
    private readonly MemoryStream _out = new();

    public HandTar File(string name, string content, int mode = 0x1A4) => File(name, Encoding.UTF8.GetBytes(content), mode);

    public HandTar File(string name, byte[] content, int mode = 0x1A4)
    {
        Header(name, '0', content.Length, mode: mode);
        Data(content);
        return this;
    }

    public HandTar Directory(string name, int mode = 0x1ED) => Header(name, '5', 0, mode: mode);

    public HandTar Symlink(string name, string target) => Header(name, '2', 0, mode: 0x1FF, link: target);

    public HandTar HardLink(string name, string target) => Header(name, '1', 0, link: target);

    public HandTar CharDevice(string name, int major, int minor) => Header(name, '3', 0, mode: 0x1B6, major: major, minor: minor);

    public HandTar BlockDevice(string name, int major, int minor) => Header(name, '4', 0, mode: 0x1B0, major: major, minor: minor);

    /// <summary>A regular-file header whose size field says <paramref name="declaredSize"/> (base-256 when it does not fit in octal), followed by <paramref name="actualData"/> only.</summary>
    public HandTar LyingFile(string name, long declaredSize, byte[] actualData)
    {
        Header(name, '0', declaredSize);
        _out.Write(actualData);
        return this;
    }

    /// <summary>Raw bytes (for example a cut-off header).</summary>
    public HandTar Raw(byte[] bytes)
    {
        _out.Write(bytes);
        return this;
    }

    /// <summary>One header block; <paramref name="size"/> goes into the size field as is.</summary>
    public HandTar Header(string name, char type, long size, int mode = 0x1A4, string link = "", int major = 0, int minor = 0, int uid = 0, int gid = 0)
    {
        var h = new byte[Block];
        var nameBytes = Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length > 100) throw new ArgumentException("HandTar keeps names within the 100-byte ustar field", nameof(name));
        nameBytes.CopyTo(h, 0);
        Octal(h, 100, 8, mode);
        Octal(h, 108, 8, uid);
        Octal(h, 116, 8, gid);
        if (size < 1L << 33) Octal(h, 124, 12, size);
        else
        {
            // GNU base-256: high bit set, big-endian in the remaining 11 bytes.
            h[124] = 0x80;
            for (int i = 0; i < 8; i++) h[135 - i] = (byte)(size >> (8 * i));
        }
        Octal(h, 136, 12, 1_650_000_000);
        h[156] = (byte)type;
        Encoding.UTF8.GetBytes(link).CopyTo(h, 157);
        "ustar\0"u8.CopyTo(h.AsSpan(257));
        "00"u8.CopyTo(h.AsSpan(263));
        Octal(h, 329, 8, major);
        Octal(h, 337, 8, minor);
        for (int i = 148; i < 156; i++) h[i] = (byte)' ';
        int sum = 0;
        foreach (var b in h) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        _out.Write(h);
        return this;
    }

    private void Data(byte[] content)
    {
        _out.Write(content);
        int pad = (Block - content.Length % Block) % Block;
        _out.Write(new byte[pad]);
    }

    private static void Octal(byte[] header, int offset, int length, long value) =>
        Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(length - 1, '0') + "\0").CopyTo(header, offset);

    /// <summary>The archive, with the two zero blocks that end a tar unless <paramref name="endMarker"/> is false.</summary>
    public byte[] ToArray(bool endMarker = true)
    {
        var bytes = _out.ToArray();
        return endMarker ? [.. bytes, .. new byte[2 * Block]] : bytes;
    }
}
