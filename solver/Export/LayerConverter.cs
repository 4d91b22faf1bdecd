using System.Buffers;
using System.Security.Cryptography;
using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;

namespace Csbuild.Solver.Export;

/// <summary>
/// Recompresses layer blobs for export (layers are stored gzip when a step commits them), streaming: decompress,
/// check the diff_id, compress into the content store. Each result is recorded per source blob, compression and level,
/// so exporting the same layer the same way again costs a lookup, not a recompression.
/// </summary>
public sealed class LayerConverter(CsbuildRoot root)
{
    private const long MaxLayerBytes = 1L << 40;
    private const int DefaultLevelKey = -1;

    public static LayerCompression CompressionOf(string mediaType) =>
        mediaType.EndsWith("gzip", StringComparison.Ordinal) ? LayerCompression.Gzip
        : mediaType.EndsWith("zstd", StringComparison.Ordinal) ? LayerCompression.Zstd
        : LayerCompression.None;

    public static string Name(LayerCompression compression) => compression switch
    {
        LayerCompression.None => "uncompressed",
        LayerCompression.Gzip => "gzip",
        LayerCompression.Zstd => "zstd",
        _ => throw new ArgumentOutOfRangeException(nameof(compression)),
    };

    /// <summary>The blob of layer <paramref name="diffId"/> compressed as asked: from the conversion table, or made now.</summary>
    /// <param name="alsoTo">Receives the converted bytes too as they are made (a push streams them to the registry); untouched on reuse.</param>
    /// <returns>An OCI-typed descriptor of the converted blob, and whether it was reused rather than made.</returns>
    public (Descriptor Blob, bool Reused) Convert(Digest sourceBlob, Digest diffId, LayerCompression target, int? level, Stream? alsoTo = null)
    {
        if (Find(sourceBlob, target, level) is { } known) return (known, true);
        var name = Name(target);
        var levelKey = level ?? DefaultLevelKey;

        Digest blob;
        long size;
        using (var writer = root.Content.BeginWrite())
        {
            Digest actualDiffId;
            using (var source = root.Content.OpenRead(sourceBlob))
            using (var tar = LayerCompressionStreams.OpenDecompressor(source, MaxLayerBytes, out _))
            using (var output = alsoTo is null ? null : new TeeWriteStream(writer, alsoTo))
            using (var compressor = LayerCompressionStreams.CreateCompressor((Stream?)output ?? writer, target, target == LayerCompression.None ? null : level, leaveOpen: true))
            {
                actualDiffId = CopyHashing(tar, compressor);
            }
            if (actualDiffId != diffId)
                throw new InvalidDataException($"layer blob {sourceBlob} does not hold layer {diffId} (its tar hashes to {actualDiffId}); rebuild with --no-cache");
            size = writer.Written;
            blob = writer.Commit();
        }
        var mediaType = target.OciLayerMediaType();
        root.Database.PutConversion(new BlobConversion(sourceBlob, name, levelKey, blob, size, mediaType));
        return (new Descriptor { MediaType = mediaType, Digest = blob.ToString(), Size = size }, false);
    }

    /// <summary>The recorded conversion, when its blob is still in the store.</summary>
    public Descriptor? Find(Digest sourceBlob, LayerCompression target, int? level) =>
        root.Database.FindConversion(sourceBlob, Name(target), level ?? DefaultLevelKey) is { } known && root.Content.Exists(known.Target)
            ? new Descriptor { MediaType = known.MediaType, Digest = known.Target.ToString(), Size = known.TargetSize }
            : null;

    /// <summary>Writes to two streams (the store's blob writer, the upload); disposing leaves both open.</summary>
    private sealed class TeeWriteStream(Stream first, Stream second) : WriteOnlyStreamBase
    {
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            first.Write(buffer);
            second.Write(buffer);
        }

        public override void Flush()
        {
            first.Flush();
            second.Flush();
        }
    }

    private static Digest CopyHashing(Stream source, Stream destination)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                destination.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Digest.FromHash(hash.GetHashAndReset());
    }
}
