using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;

namespace Csbuild.Oci.Registry.Tests.Support;

/// <summary>A blob held in memory (tests only use small ones this way).</summary>
internal sealed record TestBlob(byte[] Content, string MediaType)
{
    public Digest Digest { get; } = Digest.Of(Content);
    public long Size => Content.Length;
    public Descriptor Descriptor => new() { MediaType = MediaType, Digest = Digest.ToString(), Size = Size };
    public Func<Stream> Open => () => new MemoryStream(Content, writable: false);

    public static TestBlob Random(int size, int seed, string mediaType = MediaTypes.OciLayerGzip)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return new TestBlob(bytes, mediaType);
    }
}

/// <summary>A small but valid image: a gzip tar layer with one file, a config naming its diff_id, and a manifest.</summary>
internal sealed class TestImage
{
    public TestImage(string text, params TestBlob[] extraLayers)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            writer.WriteEntry(entry);
        }
        var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(tar.ToArray());
        Layer = new TestBlob(gz.ToArray(), MediaTypes.OciLayerGzip);
        Layers = [Layer, .. extraLayers];

        var config = new ImageConfig
        {
            Created = DateTimeOffset.UnixEpoch,
            Config = new ContainerConfig { Cmd = ["/bin/sh"], Env = ["PATH=/bin"] },
            RootFs = new RootFs { DiffIds = [.. Layers.Select(l => l == Layer ? Digest.Of(tar.ToArray()).ToString() : l.Digest.ToString())] },
            History = [new HistoryEntry { CreatedBy = "test", Created = DateTimeOffset.UnixEpoch }],
        };
        Config = new TestBlob(OciJson.Serialize(config), MediaTypes.OciConfig);
        var manifest = new ImageManifest
        {
            Config = Config.Descriptor,
            Layers = [.. Layers.Select(l => l.Descriptor)],
        };
        Manifest = OciJson.Serialize(manifest);
        ManifestDigest = Digest.Of(Manifest);
    }

    public TestBlob Layer { get; }
    public IReadOnlyList<TestBlob> Layers { get; }
    public TestBlob Config { get; }
    public byte[] Manifest { get; }
    public Digest ManifestDigest { get; }

    public IEnumerable<TestBlob> Blobs => [.. Layers, Config];

    public async Task<Digest> PushAsync(RegistryClient client, ImageReference reference)
    {
        foreach (var blob in Blobs)
            await client.PushBlobAsync(reference.Name, blob.Digest, blob.Size, blob.Open);
        return await client.PutManifestAsync(reference, Manifest, MediaTypes.OciManifest);
    }
}

/// <summary>Hashes whatever is written to it and keeps nothing.</summary>
internal sealed class HashingSink : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    public long Written { get; private set; }
    public Digest Digest => Digest.FromHash(_hash.GetCurrentHash());
    public override void Write(byte[] buffer, int offset, int count) { _hash.AppendData(buffer, offset, count); Written += count; }
    public override void Write(ReadOnlySpan<byte> buffer) { _hash.AppendData(buffer); Written += buffer.Length; }
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) { Write(buffer.Span); return ValueTask.CompletedTask; }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { if (disposing) _hash.Dispose(); base.Dispose(disposing); }
}

/// <summary>
/// A non-seekable stream of deterministic pseudo-random bytes of any length, generated on the fly: lets a test push
/// hundreds of megabytes without holding them anywhere.
/// </summary>
internal sealed class GeneratedStream(long length, ulong seed) : Stream
{
    private ulong _state = seed | 1;
    private long _position;

    public static Digest DigestOf(long length, ulong seed)
    {
        using var stream = new GeneratedStream(length, seed);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) hash.AppendData(buffer, 0, read);
        return Digest.FromHash(hash.GetHashAndReset());
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int count = (int)Math.Min(buffer.Length, length - _position);
        for (int i = 0; i < count; i++)
        {
            // xorshift64: cheap, deterministic, incompressible enough for a storage test
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            buffer[i] = (byte)_state;
        }
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
