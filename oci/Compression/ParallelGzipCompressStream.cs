using System.Buffers;
using System.IO.Compression;

namespace Csbuild.Oci.Compression;

/// <summary>
/// Gzip on several cores: the input is cut into fixed 4 MiB chunks, each compressed by its own GZipStream on
/// the thread pool, and the results are written in order as concatenated gzip members (RFC 1952 §2.2; read by
/// GNU gzip, Go's compress/gzip, .NET, zlib). Chunk boundaries depend only on the byte offset, so the output is
/// the same for any worker count. Restarting the deflate window every 4 MiB cost 0.016% in size on a 320 MB tree.
/// A chunk that <see cref="CompressibilityProbe"/> finds incompressible is stored rather than deflated.
/// With no level given, chunks go through ISA-L's igzip where the host has it (<see cref="IsalGzip"/>), else through
/// zlib-ng at <see cref="LayerCompressionStreams.DefaultGzipLevel"/>; a given level is zlib's level, through zlib-ng.
/// </summary>
public sealed class ParallelGzipCompressStream : WriteOnlyStreamBase
{
    public const int ChunkSize = 4 * 1024 * 1024;

    // A complete gzip member holding zero bytes (GZipStream writes nothing at all when given no data).
    private static readonly byte[] EmptyMember = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

    private readonly Stream _destination;
    private readonly GzipEngine _engine;
    private readonly int _level;
    private readonly int _maxInFlight;
    private readonly bool _leaveOpen;
    private readonly Queue<Task<(byte[] Buffer, int Length)>> _inFlight = new();
    private byte[]? _chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private int _filled;
    private bool _wroteAny;
    private bool _finished;

    /// <param name="level">zlib's 0–9, or null for the fastest gzip of the host that compresses like zlib's level 2.</param>
    public ParallelGzipCompressStream(Stream destination, int? level, int workers = 0, bool leaveOpen = false)
        : this(destination, level is null && IsalGzip.IsAvailable ? GzipEngine.Isal : GzipEngine.Zlib,
            level ?? (IsalGzip.IsAvailable ? IsalGzip.DefaultLevel : LayerCompressionStreams.DefaultGzipLevel), workers, leaveOpen)
    {
    }

    /// <summary>A given engine and level (1–3 for igzip); tests compare the engines with it.</summary>
    internal ParallelGzipCompressStream(Stream destination, GzipEngine engine, int level, int workers, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (engine == GzipEngine.Zlib && level is < 0 or > 9)
            throw new ArgumentOutOfRangeException(nameof(level), level, "gzip level must be between 0 and 9");
        if (engine == GzipEngine.Isal && level is < 1 or > 3)
            throw new ArgumentOutOfRangeException(nameof(level), level, "igzip level must be between 1 and 3");
        _destination = destination;
        _engine = engine;
        _level = level;
        _maxInFlight = Math.Max(1, workers > 0 ? workers : Environment.ProcessorCount);
        _leaveOpen = leaveOpen;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_chunk is null || _finished, this);
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, ChunkSize - _filled);
            buffer[..n].CopyTo(_chunk.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == ChunkSize) Dispatch();
        }
    }

    /// <summary>Writes out the completed members; a partial chunk stays buffered (cutting it would change the output).</summary>
    public override void Flush()
    {
        while (_inFlight.Count > 0) WriteOldest();
        _destination.Flush();
    }

    /// <summary>Compresses what is left, writes every member and stops accepting data. Called by Dispose.</summary>
    public void Finish()
    {
        if (_finished) return;
        ObjectDisposedException.ThrowIf(_chunk is null, this);
        if (_filled > 0) Dispatch();
        while (_inFlight.Count > 0) WriteOldest();
        if (!_wroteAny) _destination.Write(EmptyMember);
        _finished = true;
    }

    private void Dispatch()
    {
        var input = _chunk!;
        int length = _filled;
        var engine = _engine;
        int level = _level;
        _chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
        _filled = 0;
        _inFlight.Enqueue(Task.Run(() => CompressChunk(input, length, engine, level)));
        // Bounded: at most one chunk per worker is in memory beyond the one being filled.
        while (_inFlight.Count > _maxInFlight) WriteOldest();
    }

    private static (byte[], int) CompressChunk(byte[] input, int length, GzipEngine engine, int level)
    {
        try
        {
            // Incompressible chunks (random or already-compressed bytes) become stored blocks: same size, a tenth of the time.
            if (level > 0 && CompressibilityProbe.IsIncompressible(input.AsSpan(0, length)))
                (engine, level) = (GzipEngine.Zlib, 0);
            if (engine == GzipEngine.Isal)
            {
                if (IsalGzip.TryCompress(input.AsSpan(0, length), level) is { } member) return member;
                level = LayerCompressionStreams.DefaultGzipLevel; // igzip refused this chunk: zlib-ng's like-sized level
            }
            var output = new PooledBufferWriter(level == 0 ? length + length / 1024 + 4096 : length / 2 + 4096);
            using (var gzip = new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true))
                gzip.Write(input, 0, length);
            return (output.Buffer, output.Written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    private void WriteOldest()
    {
        var (buffer, length) = _inFlight.Dequeue().GetAwaiter().GetResult();
        try
        {
            _destination.Write(buffer, 0, length);
            _wroteAny = true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            if (disposing && _chunk is not null) Finish();
        }
        finally
        {
            if (_chunk is not null)
            {
                // After a failure, let running chunks finish so their pooled buffers come back.
                foreach (var task in _inFlight)
                {
                    try { ArrayPool<byte>.Shared.Return(task.GetAwaiter().GetResult().Buffer); }
                    catch (Exception) { /* the first error was already reported */ }
                }
                _inFlight.Clear();
                ArrayPool<byte>.Shared.Return(_chunk);
                _chunk = null;
                if (disposing && !_leaveOpen) _destination.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
