using System.Security.Cryptography;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Content;

/// <summary>
/// Blobs by digest under <c>blobs/sha256/</c> (the OCI layout's own blob directory, so the local image store
/// is readable by skopeo and umoci). Every write goes to a temp file, is fsynced, verified and renamed into place.
/// </summary>
public sealed class ContentStore(string rootPath, string tempDirectory)
{
    private readonly string _blobsDirectory = Path.Combine(rootPath, "blobs", "sha256");

    public string BlobPath(Digest digest)
    {
        if (digest.Algorithm != "sha256") throw new NotSupportedException($"digest algorithm {digest.Algorithm} is not supported by the content store");
        return Path.Combine(_blobsDirectory, digest.Hex);
    }

    public bool Exists(Digest digest) => File.Exists(BlobPath(digest));

    public long Size(Digest digest) => new FileInfo(BlobPath(digest)).Length;

    public Stream OpenRead(Digest digest)
    {
        try
        {
            return new FileStream(BlobPath(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw new BlobNotFoundException(digest);
        }
    }

    public byte[] ReadAllBytes(Digest digest)
    {
        try
        {
            var bytes = File.ReadAllBytes(BlobPath(digest));
            if (Digest.Of(bytes) != digest) throw new InvalidDataException($"blob {digest} is corrupt: its content does not match its digest");
            return bytes;
        }
        catch (FileNotFoundException)
        {
            throw new BlobNotFoundException(digest);
        }
    }

    /// <summary>Stores a small blob held in memory and returns its digest.</summary>
    public Digest Put(ReadOnlySpan<byte> content)
    {
        var digest = Digest.Of(content);
        if (Touch(digest)) return digest;
        using var writer = BeginWrite();
        writer.Write(content);
        writer.Commit(digest);
        return digest;
    }

    /// <summary>Copies a stream into the store, verifying it against <paramref name="expected"/> when given.</summary>
    public async Task<Digest> PutAsync(Stream content, Digest? expected, CancellationToken cancellationToken)
    {
        if (expected is { } e && Touch(e)) return e;
        using var writer = BeginWrite();
        await content.CopyToAsync(writer, 1 << 20, cancellationToken);
        return writer.Commit(expected);
    }

    /// <summary>
    /// Marks an existing blob as just stored, so a collector running beside this build keeps it (it never deletes
    /// blobs written or touched after the oldest running build started). False when the blob is not there.
    /// </summary>
    public bool Touch(Digest digest)
    {
        try
        {
            File.SetLastWriteTimeUtc(BlobPath(digest), DateTime.UtcNow);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>A temp-file writer that hashes what passes through it; nothing is visible until Commit.</summary>
    public BlobWriter BeginWrite() => NewWriter(hashing: true);

    /// <summary>
    /// A temp-file writer for a caller that digests the very bytes it writes in the same pass (the layer tar writer
    /// does): the store does not hash them a second time, and <see cref="BlobWriter.Commit"/> takes the caller's digest.
    /// </summary>
    public BlobWriter BeginWriteDigestedByCaller() => NewWriter(hashing: false);

    private BlobWriter NewWriter(bool hashing)
    {
        Directory.CreateDirectory(_blobsDirectory);
        return new BlobWriter(this, StaleFiles.NewPath(tempDirectory, "blob"), hashing);
    }

    internal void Install(string tempPath, Digest digest)
    {
        var final = BlobPath(digest);
        // Another process may have stored the same blob meanwhile: content-addressed, so either copy is right.
        File.Move(tempPath, final, overwrite: true);
    }

    public IEnumerable<Digest> Enumerate()
    {
        if (!Directory.Exists(_blobsDirectory)) yield break;
        foreach (var file in Directory.EnumerateFiles(_blobsDirectory))
            if (Digest.TryParse("sha256:" + Path.GetFileName(file), out var d)) yield return d;
    }

    public void Delete(Digest digest) => File.Delete(BlobPath(digest));
}

public sealed class BlobNotFoundException(Digest digest) : FileNotFoundException($"blob {digest} is not in the content store")
{
    public Digest Digest { get; } = digest;
}

/// <summary>A write-only stream into a temp file that hashes its content; Commit verifies and installs it.</summary>
public sealed class BlobWriter : Stream
{
    private readonly ContentStore _store;
    private readonly FileStream _file;
    private readonly IncrementalHash? _hash;
    private bool _committed;

    internal BlobWriter(ContentStore store, string tempPath, bool hashing)
    {
        _store = store;
        TempPath = tempPath;
        _hash = hashing ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        _file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    }

    public string TempPath { get; }
    public long Written { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash?.AppendData(buffer);
        _file.Write(buffer);
        Written += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash?.AppendData(buffer.Span);
        await _file.WriteAsync(buffer, cancellationToken);
        Written += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Flushes to disk, checks the digest, and moves the blob into the store.</summary>
    /// <param name="expected">The digest the content must have; required for a writer that does not hash (the caller's).</param>
    public Digest Commit(Digest? expected = null)
    {
        if (_hash is null && expected is null) throw new InvalidOperationException("a blob digested by its writer's caller needs that digest to commit");
        var actual = _hash is null ? expected!.Value : Digest.FromHash(_hash.GetHashAndReset());
        if (expected is { } e && e != actual)
            throw new InvalidDataException($"content digest mismatch: expected {e}, got {actual}");
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        _store.Install(TempPath, actual);
        _committed = true;
        return actual;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
            _hash?.Dispose();
            if (!_committed) File.Delete(TempPath);
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override void Flush() => _file.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
