using System.Buffers;

namespace Csbuild.Oci.Compression;

/// <summary>A growable write-only stream over pooled arrays, so each chunk's output costs no fresh allocation.</summary>
internal sealed class PooledBufferWriter(int initialCapacity) : WriteOnlyStreamBase
{
    public byte[] Buffer { get; private set; } = ArrayPool<byte>.Shared.Rent(initialCapacity);
    public int Written { get; private set; }

    public override void Write(ReadOnlySpan<byte> data)
    {
        if (Written + data.Length > Buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Buffer.Length * 2, Written + data.Length));
            Buffer.AsSpan(0, Written).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = bigger;
        }
        data.CopyTo(Buffer.AsSpan(Written));
        Written += data.Length;
    }

    public override void Flush() { }
}
