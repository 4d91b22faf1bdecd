using System.Buffers;

namespace Csbuild.Oci.Compression;

/// <summary>
/// Write-only stream that zstd-compresses into <c>destination</c> using libzstd's streaming API, with worker
/// threads. The frame carries a content checksum. Disposing finishes the frame. Output is identical for
/// every worker count ≥ 1 (but differs from single-threaded zstd), which is why at least one worker is always used.
/// </summary>
public sealed unsafe class ZstdCompressStream : WriteOnlyStreamBase
{
    public const int DefaultLevel = 3;

    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private readonly ZstdNative.CompressionHandle _context;
    private byte[]? _output;
    private bool _finished;

    public ZstdCompressStream(Stream destination, int level = DefaultLevel, int workers = 0, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        int min = ZstdNative.ZSTD_minCLevel(), max = ZstdNative.ZSTD_maxCLevel();
        if (level < min || level > max)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"zstd level must be between {min} and {max}");
        _destination = destination;
        _leaveOpen = leaveOpen;
        _context = ZstdNative.ZSTD_createCStream();
        if (_context.IsInvalid) throw new OutOfMemoryException("ZSTD_createCStream returned NULL");
        try
        {
            ZstdNative.Check(ZstdNative.ZSTD_CCtx_setParameter(_context, ZstdNative.CompressionLevelParameter, level), "set level");
            ZstdNative.Check(ZstdNative.ZSTD_CCtx_setParameter(_context, ZstdNative.ChecksumFlagParameter, 1), "set checksum");
            int workerCount = workers > 0 ? workers : Environment.ProcessorCount;
            try
            {
                ZstdNative.Check(ZstdNative.ZSTD_CCtx_setParameter(_context, ZstdNative.WorkerCountParameter, Math.Max(1, workerCount)), "set nbWorkers");
            }
            catch (InvalidDataException e)
            {
                throw new NotSupportedException("the system libzstd was built without multithreading support", e);
            }
        }
        catch
        {
            _context.Dispose();
            throw;
        }
        _output = ArrayPool<byte>.Shared.Rent((int)ZstdNative.ZSTD_CStreamOutSize());
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_output is null || _finished, this);
        fixed (byte* source = buffer)
        {
            var input = new ZstdNative.InBuffer { Source = source, Size = (nuint)buffer.Length };
            while (input.Position < input.Size)
                Compress(&input, ZstdNative.EndContinue);
        }
    }

    /// <summary>Flushes a block boundary to the destination. The layer writer never calls this mid-stream, since it changes the output.</summary>
    public override void Flush()
    {
        ObjectDisposedException.ThrowIf(_output is null || _finished, this);
        var input = new ZstdNative.InBuffer();
        while (Compress(&input, ZstdNative.EndFlush) != 0) { }
        _destination.Flush();
    }

    /// <summary>Ends the frame and writes everything out; further writes are refused. Called by Dispose.</summary>
    public void Finish()
    {
        if (_finished) return;
        ObjectDisposedException.ThrowIf(_output is null, this);
        var input = new ZstdNative.InBuffer();
        while (Compress(&input, ZstdNative.EndFrame) != 0) { }
        _finished = true;
    }

    private nuint Compress(ZstdNative.InBuffer* input, int endOp)
    {
        fixed (byte* destination = _output)
        {
            var output = new ZstdNative.OutBuffer { Destination = destination, Size = (nuint)_output!.Length };
            nuint remaining = ZstdNative.Check(ZstdNative.ZSTD_compressStream2(_context, &output, input, endOp), "compressStream2");
            if (output.Position > 0) _destination.Write(_output, 0, (int)output.Position);
            return remaining;
        }
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            if (disposing && _output is not null) Finish();
        }
        finally
        {
            if (_output is not null)
            {
                _context.Dispose();
                ArrayPool<byte>.Shared.Return(_output);
                _output = null;
                if (disposing && !_leaveOpen) _destination.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
