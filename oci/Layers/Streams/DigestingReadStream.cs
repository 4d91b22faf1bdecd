using System.Security.Cryptography;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Layers.Streams;

/// <summary>Read pass-through that counts the bytes read and, optionally, sha256-hashes them.</summary>
internal sealed class DigestingReadStream(Stream inner, bool computeDigest, bool leaveOpen) : ReadOnlyStreamBase
{
    private readonly IncrementalHash? _hash = computeDigest ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;

    public long BytesRead { get; private set; }

    public Digest Digest()
    {
        if (_hash is null) throw new InvalidOperationException("this stream was created without hashing");
        Span<byte> hash = stackalloc byte[32];
        _hash.GetCurrentHash(hash);
        return Model.Digest.FromHash(hash);
    }

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _hash?.AppendData(buffer[..n]);
        BytesRead += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash?.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
