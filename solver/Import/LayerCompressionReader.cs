using System.IO.Compression;

namespace Csbuild.Solver.Import;

/// <summary>Opens a possibly compressed tar stream by its magic bytes: gzip, zstd or plain.</summary>
internal static class LayerCompressionReader
{
    public static Stream OpenDecompressed(Stream input)
    {
        var buffered = new BufferedStream(input, 1 << 16);
        Span<byte> magic = stackalloc byte[4];
        int n = 0;
        // Peek by reading into the buffer and rewinding inside it (BufferedStream can seek back within its buffer only on seekable streams).
        var head = new byte[4];
        while (n < 4 && buffered.Read(head, n, 4 - n) is var r && r > 0) n += r;
        var prefixed = new PrefixedStream(head.AsMemory(0, n), buffered);
        head.AsSpan(0, n).CopyTo(magic);
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return new GZipStream(prefixed, CompressionMode.Decompress);
        if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
            return Oci.Compression.LayerCompressions.OpenZstdDecompressor(prefixed);
        return prefixed;
    }

    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.Length > 0)
            {
                var n = Math.Min(buffer.Length, _prefix.Length);
                _prefix.Span[..n].CopyTo(buffer);
                _prefix = _prefix[n..];
                return n;
            }
            return rest.Read(buffer);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        protected override void Dispose(bool disposing) { if (disposing) rest.Dispose(); base.Dispose(disposing); }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
