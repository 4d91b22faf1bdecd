namespace Csbuild.Oci.Compression;

/// <summary>
/// Read-only pass-through that counts bytes and throws <see cref="DecompressionLimitExceededException"/> as soon
/// as more than <c>limit</c> bytes have come out of the inner stream. Exactly <c>limit</c> bytes are fine.
/// </summary>
public sealed class SizeLimitedReadStream(Stream inner, long limit, bool leaveOpen = false) : ReadOnlyStreamBase
{
    public long BytesRead { get; private set; }

    public long Limit { get; } = limit >= 0 ? limit : throw new ArgumentOutOfRangeException(nameof(limit));

    public override int Read(Span<byte> buffer)
    {
        // Ask for one byte beyond the limit so a bomb is noticed instead of silently cut off.
        long remaining = Limit - BytesRead;
        if (remaining < buffer.Length) buffer = buffer[..(int)(remaining + 1)];
        int n = inner.Read(buffer);
        BytesRead += n;
        if (BytesRead > Limit) throw new DecompressionLimitExceededException(Limit);
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen) inner.Dispose();
        base.Dispose(disposing);
    }
}
