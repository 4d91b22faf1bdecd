using System.Security.Cryptography;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Layers.Streams;

/// <summary>Write pass-through that sha256-hashes and counts the bytes on their way to the inner stream.</summary>
internal sealed class DigestingWriteStream(Stream inner, bool leaveOpen) : WriteOnlyStreamBase
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesWritten { get; private set; }

    public Digest Digest()
    {
        Span<byte> hash = stackalloc byte[32];
        _hash.GetCurrentHash(hash);
        return Model.Digest.FromHash(hash);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        inner.Write(buffer);
        BytesWritten += buffer.Length;
    }

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
