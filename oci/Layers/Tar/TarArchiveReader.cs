using System.Buffers;
using System.Formats.Tar;
using System.Text;

namespace Csbuild.Oci.Layers.Tar;

/// <summary>
/// Strict forward-only reader for layer tars (ustar, PAX, GNU long names; what Docker, BuildKit, Go's
/// archive/tar, GNU tar and bsdtar produce). Unlike System.Formats.Tar it keeps xattr values as raw bytes.
/// Anything malformed, unsupported (sparse files, unknown entry types) or cut short is an
/// <see cref="InvalidDataException"/>; an archive must end with the end-of-archive marker, since that is the only
/// way to tell a complete archive from one truncated at an entry boundary.
/// </summary>
internal sealed class TarArchiveReader : IDisposable
{
    private const int BufferSize = 128 * 1024;
    private const int MaxExtensionPayload = 1024 * 1024; // PAX and GNU long-name payloads, summed per entry

    private readonly Stream _source;
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _position;
    private int _length;
    private long _offset; // stream offset of _buffer[_position]
    private long _dataRemaining;
    private long _paddingRemaining;
    private string _currentName = "";
    private bool _ended;

    public TarArchiveReader(Stream source) => _source = source;

    /// <summary>Stream offset of the next byte this reader will consume.</summary>
    public long Offset => _offset;

    /// <summary>The next entry, or null after the end-of-archive marker. Unread data of the previous entry is skipped.</summary>
    public LayerTarEntry? ReadNext()
    {
        if (_ended) return null;
        Skip(_dataRemaining + _paddingRemaining, inData: true);
        _dataRemaining = _paddingRemaining = 0;

        PaxOverrides? pax = null;
        string? longName = null, longLink = null;
        long extensionBytes = 0; // chained extension headers must not add up to unbounded memory
        Span<byte> block = stackalloc byte[TarFields.BlockSize];
        while (true)
        {
            long headerOffset = _offset;
            int got = ReadUpTo(block);
            if (got == 0)
                throw Truncated(headerOffset, "the archive ends without an end-of-archive marker");
            if (got < block.Length) throw Truncated(headerOffset, "the archive ends inside a header");

            if (!block.ContainsAnyExcept((byte)0))
            {
                if (pax is not null || longName is not null || longLink is not null)
                    throw new InvalidDataException($"tar archive is corrupt: an extension header at offset {headerOffset} is followed by the end marker");
                got = ReadUpTo(block);
                if (got != 0 && (got < block.Length || block.ContainsAnyExcept((byte)0)))
                    throw new InvalidDataException($"tar archive is corrupt: a lone zero block at offset {headerOffset} is followed by data");
                _ended = true;
                return null;
            }

            VerifyChecksum(block, headerOffset);
            var type = (TarEntryType)block[TarFields.TypeOffset];
            long size = TarFields.ParseNumber(block.Slice(TarFields.SizeOffset, TarFields.SizeLength), "size");
            bool extension = type is TarEntryType.ExtendedAttributes or TarEntryType.GlobalExtendedAttributes or
                TarEntryType.LongPath or TarEntryType.LongLink;
            if (extension && (extensionBytes += size) > MaxExtensionPayload)
                throw new InvalidDataException($"tar extension headers before the entry at offset {headerOffset} exceed {MaxExtensionPayload} bytes");
            switch (type)
            {
                case TarEntryType.ExtendedAttributes:
                    pax ??= new PaxOverrides();
                    PaxRecords.Parse(ReadPayload(size, "PAX header"), pax);
                    continue;
                case TarEntryType.GlobalExtendedAttributes:
                    // Global records apply to the whole archive; layer writers do not use them for anything we need.
                    PaxRecords.Parse(ReadPayload(size, "PAX global header"), new PaxOverrides());
                    continue;
                case TarEntryType.LongPath:
                    longName = NulTerminated(ReadPayload(size, "GNU long name"));
                    continue;
                case TarEntryType.LongLink:
                    longLink = NulTerminated(ReadPayload(size, "GNU long link name"));
                    continue;
            }
            return BuildEntry(block, type, size, pax, longName, longLink, headerOffset);
        }
    }

    /// <summary>Reads data of the current entry; 0 once it is exhausted.</summary>
    public int ReadData(Span<byte> destination)
    {
        if (_dataRemaining == 0 || destination.IsEmpty) return 0;
        if (destination.Length > _dataRemaining) destination = destination[..(int)_dataRemaining];
        int n;
        if (_position < _length)
        {
            n = Math.Min(destination.Length, _length - _position);
            _buffer.AsSpan(_position, n).CopyTo(destination);
            _position += n;
        }
        else
        {
            // Nothing buffered: read straight into the caller's buffer.
            n = _source.Read(destination);
            if (n == 0) throw Truncated(_offset, $"the data of '{_currentName}' is cut short ({_dataRemaining} bytes missing)");
        }
        _offset += n;
        _dataRemaining -= n;
        return n;
    }

    /// <summary>Consumes whatever follows the end marker (GNU tar pads to 10 KiB records) so a digest covers the whole stream.</summary>
    public void DrainToEnd()
    {
        _offset += _length - _position;
        _position = _length = 0;
        while (true)
        {
            int n = _source.Read(_buffer!, 0, BufferSize);
            if (n == 0) return;
            _offset += n;
        }
    }

    public void Dispose()
    {
        if (_buffer is null) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }

    private LayerTarEntry BuildEntry(ReadOnlySpan<byte> block, TarEntryType type, long size, PaxOverrides? pax,
        string? longName, string? longLink, long headerOffset)
    {
        string name = pax?.Path ?? longName ?? HeaderName(block);
        if (name.Length == 0) throw new InvalidDataException($"tar entry at offset {headerOffset} has an empty name");
        if (name.Contains('\0')) throw new InvalidDataException($"tar entry at offset {headerOffset} has a NUL in its name");
        _currentName = name;

        type = type switch
        {
            TarEntryType.V7RegularFile => name.EndsWith('/') ? TarEntryType.Directory : TarEntryType.RegularFile,
            TarEntryType.RegularFile or TarEntryType.ContiguousFile => TarEntryType.RegularFile,
            TarEntryType.HardLink or TarEntryType.SymbolicLink or TarEntryType.CharacterDevice or
                TarEntryType.BlockDevice or TarEntryType.Directory or TarEntryType.Fifo => type,
            TarEntryType.SparseFile => throw new InvalidDataException($"tar entry '{name}' is a GNU sparse file, which layers do not support"),
            _ => throw new InvalidDataException($"tar entry '{name}' has unsupported type '{(char)type}'"),
        };
        size = pax?.Size ?? size;
        // Like Go's archive/tar: only regular files have data; other types' size fields are ignored.
        long dataLength = type == TarEntryType.RegularFile ? size : 0;

        long mtime = TarFields.ParseNumber(block.Slice(TarFields.MtimeOffset, TarFields.MtimeLength), "mtime");
        var entry = new LayerTarEntry
        {
            Type = type,
            Name = name,
            LinkName = pax?.LinkPath ?? longLink ?? TarFields.ParseString(block.Slice(TarFields.LinkNameOffset, TarFields.LinkNameLength)),
            Mode = (int)(TarFields.ParseNumber(block.Slice(TarFields.ModeOffset, TarFields.ModeLength), "mode") & 0xFFF),
            Uid = pax?.Uid ?? ToInt(TarFields.ParseNumber(block.Slice(TarFields.UidOffset, TarFields.UidLength), "uid"), "uid", name),
            Gid = pax?.Gid ?? ToInt(TarFields.ParseNumber(block.Slice(TarFields.GidOffset, TarFields.GidLength), "gid"), "gid", name),
            Size = dataLength,
            ModificationTimeSeconds = pax?.ModificationTime?.Seconds ?? mtime,
            ModificationTimeNanoseconds = pax?.ModificationTime?.Nanoseconds ?? 0,
            DeviceMajor = DeviceNumber(block, TarFields.DevMajorOffset, type, name),
            DeviceMinor = DeviceNumber(block, TarFields.DevMinorOffset, type, name),
            Xattrs = (IReadOnlyList<TarXattr>?)pax?.Xattrs ?? [],
        };
        _dataRemaining = dataLength;
        _paddingRemaining = TarFields.PaddingFor(dataLength);
        return entry;
    }

    private static int DeviceNumber(ReadOnlySpan<byte> block, int offset, TarEntryType type, string name)
    {
        if (type is not (TarEntryType.CharacterDevice or TarEntryType.BlockDevice)) return 0;
        return ToInt(TarFields.ParseNumber(block.Slice(offset, TarFields.DevMajorLength), "device number"), "device number", name);
    }

    private static int ToInt(long value, string what, string name) =>
        value <= int.MaxValue ? (int)value : throw new InvalidDataException($"tar entry '{name}' has an out-of-range {what} ({value})");

    private static string HeaderName(ReadOnlySpan<byte> block)
    {
        string name = TarFields.ParseString(block.Slice(TarFields.NameOffset, TarFields.NameLength));
        // POSIX ustar splits long paths into prefix + name; the GNU format uses that area for other fields.
        bool ustar = block.Slice(TarFields.MagicOffset, 6).SequenceEqual(TarFields.UstarMagic);
        if (!ustar) return name;
        string prefix = TarFields.ParseString(block.Slice(TarFields.PrefixOffset, TarFields.PrefixLength));
        return prefix.Length == 0 ? name : prefix + "/" + name;
    }

    private static void VerifyChecksum(ReadOnlySpan<byte> block, long offset)
    {
        long stored;
        try
        {
            stored = TarFields.ParseNumber(block.Slice(TarFields.ChecksumOffset, TarFields.ChecksumLength), "checksum");
        }
        catch (InvalidDataException)
        {
            throw new InvalidDataException($"not a tar archive or corrupt: bad header at offset {offset}");
        }
        if (stored != TarFields.UnsignedChecksum(block) && stored != TarFields.SignedChecksum(block))
            throw new InvalidDataException($"not a tar archive or corrupt: header checksum mismatch at offset {offset}");
    }

    private static string NulTerminated(ReadOnlySpan<byte> payload)
    {
        int end = payload.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? payload : payload[..end]);
    }

    /// <summary>Reads an extension header's payload (bounded in size) and skips its padding.</summary>
    private byte[] ReadPayload(long size, string what)
    {
        if (size > MaxExtensionPayload)
            throw new InvalidDataException($"tar {what} of {size} bytes exceeds the {MaxExtensionPayload}-byte limit");
        var payload = new byte[size];
        long start = _offset;
        if (ReadUpTo(payload) < payload.Length) throw Truncated(start, $"the archive ends inside a {what}");
        Skip(TarFields.PaddingFor(size), inData: false);
        return payload;
    }

    /// <summary>Fills <paramref name="destination"/> as far as the stream allows; returns the count (short only at end of stream).</summary>
    private int ReadUpTo(Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            if (_position == _length && !Refill()) break;
            int n = Math.Min(destination.Length - total, _length - _position);
            _buffer.AsSpan(_position, n).CopyTo(destination[total..]);
            _position += n;
            _offset += n;
            total += n;
        }
        return total;
    }

    private void Skip(long count, bool inData)
    {
        while (count > 0)
        {
            if (_position == _length && !Refill())
                throw Truncated(_offset, inData ? $"the data of '{_currentName}' is cut short" : "the archive ends inside padding");
            int n = (int)Math.Min(count, _length - _position);
            _position += n;
            _offset += n;
            count -= n;
        }
    }

    private bool Refill()
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        _position = 0;
        _length = _source.Read(_buffer, 0, BufferSize);
        return _length > 0;
    }

    private static InvalidDataException Truncated(long offset, string detail) =>
        new($"layer archive is truncated: {detail} (offset {offset})");
}
