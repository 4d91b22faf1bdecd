using System.Buffers;
using System.Formats.Tar;
using System.Text;

namespace Csbuild.Oci.Layers.Tar;

/// <summary>
/// Writes a tar stream the way Go's archive/tar (and so BuildKit/containerd) does: a ustar header per entry,
/// preceded by a PAX 'x' header only when a value does not fit ustar (long or non-ASCII paths, big sizes or
/// ids) or when the entry has xattrs. PAX records are sorted and the PAX header's own fields are fixed, so
/// the output depends only on the entries. Writes are gathered in a pooled buffer; the output stream sees large
/// writes and is never flushed (a flush would change a compressor's output).
/// </summary>
internal sealed class TarArchiveWriter : IDisposable
{
    private const int BufferSize = 256 * 1024;

    private readonly Stream _output;
    private readonly ArrayBufferWriter<byte> _pax = new(1024);
    private readonly List<(byte[] Key, byte[] Value)> _paxEntries = [];
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _buffered;
    private long _dataRemaining;
    private long _paddingPending;

    public TarArchiveWriter(Stream output) => _output = output;

    /// <summary>Bytes produced so far (header, data, padding, end marker), including those still buffered.</summary>
    public long Position { get; private set; }

    /// <summary>Writes the header(s) of an entry; for a regular file, exactly <see cref="LayerTarEntry.Size"/> data bytes must follow.</summary>
    public void WriteHeader(LayerTarEntry entry)
    {
        if (_dataRemaining != 0)
            throw new InvalidOperationException($"{_dataRemaining} data bytes of the previous entry are missing");
        WritePadding();
        if (entry.Type is not (TarEntryType.RegularFile or TarEntryType.HardLink or TarEntryType.SymbolicLink or
            TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Directory or TarEntryType.Fifo))
            throw new ArgumentException($"entry type {entry.Type} is not written to layers", nameof(entry));
        long size = entry.Type == TarEntryType.RegularFile ? entry.Size : 0;

        Span<byte> header = stackalloc byte[TarFields.BlockSize];
        header.Clear();
        CollectPaxRecords(entry, size, header);
        if (_paxEntries.Count > 0) WritePaxHeader(entry.Name);

        header[TarFields.TypeOffset] = (byte)entry.Type;
        TarFields.WriteOctal(header.Slice(TarFields.ModeOffset, TarFields.ModeLength), entry.Mode & 0xFFF);
        WriteNumber(header.Slice(TarFields.UidOffset, TarFields.UidLength), entry.Uid);
        WriteNumber(header.Slice(TarFields.GidOffset, TarFields.GidLength), entry.Gid);
        WriteNumber(header.Slice(TarFields.SizeOffset, TarFields.SizeLength), size);
        WriteNumber(header.Slice(TarFields.MtimeOffset, TarFields.MtimeLength), entry.ModificationTimeSeconds);
        TarFields.WriteOctal(header.Slice(TarFields.DevMajorOffset, TarFields.DevMajorLength), entry.DeviceMajor);
        TarFields.WriteOctal(header.Slice(TarFields.DevMinorOffset, TarFields.DevMinorLength), entry.DeviceMinor);
        FinishHeader(header);
        Append(header);

        _dataRemaining = size;
        _paddingPending = TarFields.PaddingFor(size);
    }

    /// <summary>Appends data of the current regular-file entry.</summary>
    public void WriteData(ReadOnlySpan<byte> data)
    {
        if (data.Length > _dataRemaining)
            throw new InvalidOperationException("more data than the entry's declared size");
        _dataRemaining -= data.Length;
        if (data.Length >= BufferSize / 2)
        {
            // Big chunks go straight through (after what is buffered) instead of being copied again.
            FlushBuffer();
            _output.Write(data);
            Position += data.Length;
        }
        else Append(data);
    }

    /// <summary>Writes the end-of-archive marker (two zero blocks) and hands all buffered bytes to the output.</summary>
    public void Finish()
    {
        if (_dataRemaining != 0)
            throw new InvalidOperationException($"{_dataRemaining} data bytes of the last entry are missing");
        WritePadding();
        Span<byte> zeros = stackalloc byte[2 * TarFields.BlockSize];
        zeros.Clear();
        Append(zeros);
        FlushBuffer();
    }

    public void Dispose()
    {
        if (_buffer is null) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }

    private void CollectPaxRecords(LayerTarEntry entry, long size, Span<byte> header)
    {
        _paxEntries.Clear();
        var nameField = header.Slice(TarFields.NameOffset, TarFields.NameLength);
        bool nameFits = TarFields.IsAscii(entry.Name) && entry.Name.Length <= TarFields.NameLength;
        TarFields.WriteAscii(nameField, entry.Name);
        if (!nameFits) _paxEntries.Add(("path"u8.ToArray(), Encoding.UTF8.GetBytes(entry.Name)));

        TarFields.WriteAscii(header.Slice(TarFields.LinkNameOffset, TarFields.LinkNameLength), entry.LinkName);
        if (!TarFields.IsAscii(entry.LinkName) || entry.LinkName.Length > TarFields.LinkNameLength)
            _paxEntries.Add(("linkpath"u8.ToArray(), Encoding.UTF8.GetBytes(entry.LinkName)));

        AddNumberIfTooBig("uid"u8, entry.Uid, TarFields.UidLength);
        AddNumberIfTooBig("gid"u8, entry.Gid, TarFields.GidLength);
        AddNumberIfTooBig("size"u8, size, TarFields.SizeLength);
        AddNumberIfTooBig("mtime"u8, entry.ModificationTimeSeconds, TarFields.MtimeLength);
        foreach (var xattr in entry.Xattrs)
        {
            if (xattr.Name.AsSpan().IndexOfAny((byte)'=', (byte)'\n', (byte)0) >= 0)
                throw new NotSupportedException($"xattr name '{Encoding.UTF8.GetString(xattr.Name)}' of '{entry.Name}' cannot be stored in a PAX record");
            _paxEntries.Add(([.. PaxRecords.XattrPrefix, .. xattr.Name], xattr.Value));
        }
        // Like Go: a long ASCII path is split into ustar prefix + name only when no PAX header is written anyway
        // (readers such as System.Formats.Tar ignore the prefix of PAX-format entries).
        if (_paxEntries.Count == 1 && !nameFits && TrySplitUstarPath(entry.Name, out int separator))
        {
            _paxEntries.Clear();
            nameField.Clear();
            TarFields.WriteAscii(header.Slice(TarFields.PrefixOffset, TarFields.PrefixLength), entry.Name[..separator]);
            TarFields.WriteAscii(nameField, entry.Name[(separator + 1)..]);
        }
        if (entry.DeviceMajor > TarFields.MaxOctal(TarFields.DevMajorLength) || entry.DeviceMinor > TarFields.MaxOctal(TarFields.DevMinorLength) ||
            entry.DeviceMajor < 0 || entry.DeviceMinor < 0)
            throw new NotSupportedException($"device number {entry.DeviceMajor}:{entry.DeviceMinor} of '{entry.Name}' does not fit a tar header");
    }

    private void AddNumberIfTooBig(ReadOnlySpan<byte> key, long value, int fieldLength)
    {
        if (value >= 0 && value <= TarFields.MaxOctal(fieldLength)) return;
        _paxEntries.Add((key.ToArray(), Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    /// <summary>The ustar field gets the value when it fits; otherwise 0, the PAX record carries it.</summary>
    private static void WriteNumber(Span<byte> field, long value) =>
        TarFields.WriteOctal(field, value >= 0 && value <= TarFields.MaxOctal(field.Length) ? value : 0);

    /// <summary>Go's splitUSTARPath: an ASCII path of up to 256 bytes split at a slash into prefix (≤155) and name (≤100).</summary>
    private static bool TrySplitUstarPath(string name, out int separator)
    {
        separator = -1;
        if (name.Length <= TarFields.NameLength || !TarFields.IsAscii(name)) return false;
        int length = name.Length;
        if (length > TarFields.PrefixLength + 1) length = TarFields.PrefixLength + 1;
        else if (name[length - 1] == '/') length--;
        int i = name.LastIndexOf('/', length - 1);
        int suffixLength = name.Length - i - 1;
        if (i <= 0 || suffixLength > TarFields.NameLength || suffixLength == 0 || i > TarFields.PrefixLength) return false;
        separator = i;
        return true;
    }

    private void WritePaxHeader(string entryName)
    {
        _paxEntries.Sort(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        _pax.ResetWrittenCount();
        foreach (var (key, value) in _paxEntries) PaxRecords.Append(_pax, key, value);

        // Like Go: "<dir>/PaxHeaders.0/<base>", ASCII, truncated; mode, ids and mtime zero.
        string trimmed = entryName.TrimEnd('/');
        int slash = trimmed.LastIndexOf('/');
        string paxName = slash < 0 ? "PaxHeaders.0/" + trimmed : trimmed[..(slash + 1)] + "PaxHeaders.0/" + trimmed[(slash + 1)..];
        Span<byte> header = stackalloc byte[TarFields.BlockSize];
        header.Clear();
        TarFields.WriteAscii(header.Slice(TarFields.NameOffset, TarFields.NameLength), paxName);
        header[TarFields.TypeOffset] = (byte)TarEntryType.ExtendedAttributes;
        TarFields.WriteOctal(header.Slice(TarFields.ModeOffset, TarFields.ModeLength), 0);
        TarFields.WriteOctal(header.Slice(TarFields.UidOffset, TarFields.UidLength), 0);
        TarFields.WriteOctal(header.Slice(TarFields.GidOffset, TarFields.GidLength), 0);
        TarFields.WriteOctal(header.Slice(TarFields.SizeOffset, TarFields.SizeLength), _pax.WrittenCount);
        TarFields.WriteOctal(header.Slice(TarFields.MtimeOffset, TarFields.MtimeLength), 0);
        TarFields.WriteOctal(header.Slice(TarFields.DevMajorOffset, TarFields.DevMajorLength), 0);
        TarFields.WriteOctal(header.Slice(TarFields.DevMinorOffset, TarFields.DevMinorLength), 0);
        FinishHeader(header);
        Append(header);
        Append(_pax.WrittenSpan);
        AppendZeros((int)TarFields.PaddingFor(_pax.WrittenCount));
    }

    private static void FinishHeader(Span<byte> header)
    {
        TarFields.UstarMagic.CopyTo(header[TarFields.MagicOffset..]);
        TarFields.UstarVersion.CopyTo(header[TarFields.VersionOffset..]);
        int checksum = TarFields.UnsignedChecksum(header);
        var field = header.Slice(TarFields.ChecksumOffset, TarFields.ChecksumLength);
        TarFields.WriteOctal(field[..7], checksum); // six digits and a NUL, then a space: "%06o\0 "
        field[7] = (byte)' ';
    }

    private void WritePadding()
    {
        if (_paddingPending == 0) return;
        AppendZeros((int)_paddingPending);
        _paddingPending = 0;
    }

    private void AppendZeros(int count)
    {
        Span<byte> zeros = stackalloc byte[TarFields.BlockSize];
        zeros.Clear();
        Append(zeros[..count]);
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        Position += data.Length;
        while (!data.IsEmpty)
        {
            if (_buffered == BufferSize) FlushBuffer();
            int n = Math.Min(data.Length, BufferSize - _buffered);
            data[..n].CopyTo(_buffer.AsSpan(_buffered));
            _buffered += n;
            data = data[n..];
        }
    }

    private void FlushBuffer()
    {
        if (_buffered == 0) return;
        _output.Write(_buffer!, 0, _buffered);
        _buffered = 0;
    }
}
