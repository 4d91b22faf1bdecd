using System.Buffers;
using System.Security.Cryptography;
using Csbuild.Cache.Content;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Remote;

/// <summary>
/// A build cache in a directory (a path CI systems keep between jobs), laid out as an OCI image layout as
/// BuildKit's local cache is: blobs/sha256/…, and index.json naming the cache manifest by tag. Several builds may
/// export into one directory: index.json is rewritten under a lock and atomically.
/// </summary>
public sealed class LocalCacheStore(string directory, string tag) : ICacheStore, IBlobProvider
{
    private const long MaxSmallBlob = 64 << 20;
    private readonly string _directory = Path.GetFullPath(directory);

    public string Name => $"directory {_directory}" + (tag == "latest" ? "" : $" (tag {tag})");

    string IBlobProvider.Name => _directory;

    public IBlobProvider Blobs => this;

    private string IndexPath => Path.Combine(_directory, "index.json");

    private string BlobPath(Digest digest) => Path.Combine(_directory, "blobs", digest.Algorithm, digest.Hex);

    public async Task<StoredManifest?> ReadManifestAsync(string platform, CancellationToken cancellationToken)
    {
        if (!File.Exists(IndexPath)) return null;
        var index = OciJson.DeserializeIndex(await File.ReadAllBytesAsync(IndexPath, cancellationToken).ConfigureAwait(false));
        var entry = index.Manifests.LastOrDefault(m => m.Annotations?.GetValueOrDefault(Descriptor.RefNameAnnotation) == tag);
        if (entry is null) return null;
        var content = await ReadSmallBlobAsync(entry, cancellationToken).ConfigureAwait(false);
        return new StoredManifest(content, entry.MediaType, Digest.Parse(entry.Digest));
    }

    public async Task<byte[]> ReadSmallBlobAsync(Descriptor blob, CancellationToken cancellationToken)
    {
        var digest = Digest.Parse(blob.Digest);
        var path = BlobPath(digest);
        if (!File.Exists(path)) throw new FileNotFoundException($"{Name} is missing blob {digest}");
        if (blob.Size is < 0 or > MaxSmallBlob || new FileInfo(path).Length != blob.Size)
            throw new InvalidDataException($"{Name}: blob {digest} is not {blob.Size} bytes");
        var content = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        if (Digest.Of(content) != digest) throw new InvalidDataException($"{Name}: blob {digest} does not match its digest");
        return content;
    }

    public async Task FetchAsync(Digest digest, long size, Stream destination, CancellationToken cancellationToken)
    {
        await using var source = new FileStream(BlobPath(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        await source.CopyToAsync(destination, 1 << 20, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> PutBlobAsync(Descriptor blob, Func<Stream> openContent, CancellationToken cancellationToken)
    {
        var digest = Digest.Parse(blob.Digest);
        var path = BlobPath(digest);
        if (File.Exists(path) && new FileInfo(path).Length == blob.Size) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var source = openContent())
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
            {
                var actual = await CopyHashingAsync(source, file, cancellationToken).ConfigureAwait(false);
                if (actual != digest) throw new InvalidDataException($"blob {digest} read back as {actual}; not writing it to {Name}");
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
        return true;
    }

    public async Task PutManifestAsync(byte[] manifest, string mediaType, CancellationToken cancellationToken)
    {
        var digest = Digest.Of(manifest);
        await PutBlobAsync(new Descriptor { MediaType = mediaType, Digest = digest.ToString(), Size = manifest.Length },
            () => new MemoryStream(manifest, writable: false), cancellationToken).ConfigureAwait(false);
        using var hold = await FileLock.AcquireAsync(Path.Combine(_directory, ".csbuild-index.lock"), cancellationToken).ConfigureAwait(false);
        var layoutPath = Path.Combine(_directory, "oci-layout");
        if (!File.Exists(layoutPath)) AtomicFile.Write(layoutPath, OciJson.Serialize(new OciLayout()));
        var index = File.Exists(IndexPath) ? OciJson.DeserializeIndex(await File.ReadAllBytesAsync(IndexPath, cancellationToken).ConfigureAwait(false)) : new ImageIndex();
        index.Manifests.RemoveAll(m => m.Annotations?.GetValueOrDefault(Descriptor.RefNameAnnotation) == tag);
        index.Manifests.Add(new Descriptor
        {
            MediaType = mediaType,
            Digest = digest.ToString(),
            Size = manifest.Length,
            Annotations = new Dictionary<string, string> { [Descriptor.RefNameAnnotation] = tag },
        });
        AtomicFile.Write(IndexPath, OciJson.Serialize(index));
    }

    private static async Task<Digest> CopyHashingAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Digest.FromHash(hash.GetHashAndReset());
    }
}
