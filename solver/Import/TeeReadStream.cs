using System.Security.Cryptography;

namespace Csbuild.Solver.Import;

/// <summary>A read-only stream that hashes everything read through it and copies it to a sink.</summary>
internal sealed class TeeReadStream(Stream source, Stream sink) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    public byte[] GetHash() => _hash.GetHashAndReset();

    public override int Read(Span<byte> buffer)
    {
        var n = source.Read(buffer);
        if (n > 0)
        {
            _hash.AppendData(buffer[..n]);
            sink.Write(buffer[..n]);
            BytesRead += n;
        }
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
