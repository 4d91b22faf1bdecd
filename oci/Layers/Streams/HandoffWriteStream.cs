using System.Buffers;
using System.Threading.Channels;
using Csbuild.Oci.Compression;

namespace Csbuild.Oci.Layers.Streams;

/// <summary>
/// Hands what is written to another thread, which writes it to the inner stream: the writer (walking a tree and reading
/// its files) and the inner stream's work (hashing, compressing, writing the blob) then run side by side on two cores
/// instead of in turn. At most <see cref="Buffers"/> buffers of <see cref="BufferSize"/> bytes are in flight. The inner
/// stream's failure is thrown by the next Write or by Complete; Complete must be called before the inner stream is used.
/// </summary>
public sealed class HandoffWriteStream : WriteOnlyStreamBase
{
    public const int BufferSize = 1 << 20;
    public const int Buffers = 4;

    private readonly Channel<(byte[] Buffer, int Length)> _full = Channel.CreateBounded<(byte[], int)>(
        new BoundedChannelOptions(Buffers - 1) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _consumer;
    private byte[] _current = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _filled;
    private bool _completed;

    public HandoffWriteStream(Stream inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _consumer = Task.Run(async () =>
        {
            await foreach (var (buffer, length) in _full.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    inner.Write(buffer, 0, length);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        });
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _current.Length - _filled);
            buffer[..n].CopyTo(_current.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == _current.Length) HandOff();
        }
    }

    /// <summary>Passes on what is buffered and waits until the inner stream has written everything; throws its failure.</summary>
    public void Complete()
    {
        if (_completed) return;
        if (_filled > 0) HandOff();
        _completed = true;
        _full.Writer.TryComplete();
        ArrayPool<byte>.Shared.Return(_current);
        _consumer.GetAwaiter().GetResult();
    }

    public override void Flush() { } // only Complete guarantees the inner stream has the bytes

    private void HandOff()
    {
        var buffer = _current;
        var length = _filled;
        _current = ArrayPool<byte>.Shared.Rent(BufferSize);
        _filled = 0;
        // A consumer that failed stops reading: its error is thrown here rather than waiting on a full channel forever.
        while (!_full.Writer.TryWrite((buffer, length)))
        {
            if (_consumer.IsCompleted)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                _consumer.GetAwaiter().GetResult();
                throw new IOException("the layer writer's consumer stopped early");
            }
            _full.Writer.WaitToWriteAsync().AsTask().Wait(50);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_completed)
        {
            // Not completed: a failure on the writer's side. The consumer drains what was queued and stops.
            _completed = true;
            _full.Writer.TryComplete();
            ArrayPool<byte>.Shared.Return(_current);
            try { _consumer.GetAwaiter().GetResult(); } catch (Exception) { /* the writer's own error is the one reported */ }
        }
        base.Dispose(disposing);
    }
}
