using System.Buffers;

namespace Csbuild.Oci.Compression;

/// <summary>
/// Read-only stream that decompresses zstd (one or more concatenated frames, skippable frames allowed) with
/// libzstd. A stream that ends in the middle of a frame is an <see cref="InvalidDataException"/>. The window
/// size stays at libzstd's default maximum (128 MiB) so a hostile frame cannot demand gigabytes of memory.
/// </summary>
public sealed unsafe class ZstdDecompressStream : ReadOnlyStreamBase
{
    private readonly Stream _source;
    private readonly bool _leaveOpen;
    private readonly ZstdNative.DecompressionHandle _context;
    private byte[]? _input;
    private int _inputPosition;
    private int _inputLength;
    private bool _sourceEnded;
    private bool _frameInProgress;

    public ZstdDecompressStream(Stream source, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _leaveOpen = leaveOpen;
        _context = ZstdNative.ZSTD_createDStream();
        if (_context.IsInvalid) throw new OutOfMemoryException("ZSTD_createDStream returned NULL");
        ZstdNative.Check(ZstdNative.ZSTD_initDStream(_context), "initDStream");
        _input = ArrayPool<byte>.Shared.Rent((int)ZstdNative.ZSTD_DStreamInSize());
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_input is null, this);
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            if (_inputPosition == _inputLength && !_sourceEnded)
            {
                _inputLength = _source.Read(_input, 0, _input.Length);
                _inputPosition = 0;
                _sourceEnded = _inputLength == 0;
            }
            bool noMoreInput = _inputPosition == _inputLength;
            if (noMoreInput && !_frameInProgress) return 0;

            int produced = Decompress(buffer);
            if (produced > 0) return produced;
            if (noMoreInput)
                throw new InvalidDataException("zstd stream is truncated: input ended in the middle of a frame");
        }
    }

    private int Decompress(Span<byte> destination)
    {
        fixed (byte* output = destination)
        fixed (byte* input = _input)
        {
            var outBuffer = new ZstdNative.OutBuffer { Destination = output, Size = (nuint)destination.Length };
            var inBuffer = new ZstdNative.InBuffer { Source = input + _inputPosition, Size = (nuint)(_inputLength - _inputPosition) };
            nuint hint = ZstdNative.Check(ZstdNative.ZSTD_decompressStream(_context, &outBuffer, &inBuffer), "decompressStream");
            _inputPosition += (int)inBuffer.Position;
            // 0 means a frame was fully decoded and flushed; anything else means the decoder wants more.
            _frameInProgress = hint != 0;
            return (int)outBuffer.Position;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (_input is not null)
        {
            _context.Dispose();
            ArrayPool<byte>.Shared.Return(_input);
            _input = null;
            if (disposing && !_leaveOpen) _source.Dispose();
        }
        base.Dispose(disposing);
    }
}
