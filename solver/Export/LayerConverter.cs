using System.Buffers;
using System.Security.Cryptography;
using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers.Streams;
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
    /// <returns>An OCI-typed descriptor of the converted blob, and whether it was reused rather than made.</returns>
    public (Descriptor Blob, bool Reused) Convert(Digest sourceBlob, Digest diffId, LayerCompression target, int? level)
    {
        if (Find(sourceBlob, target, level) is { } known) return (known, true);
        var name = Name(target);
        var levelKey = level ?? DefaultLevelKey;

        Digest blob;
        long size;
        using (var writer = root.Content.BeginWrite())
        {
            Digest actualDiffId;
            // The store's file is written (and hashed) on another thread, beside the compressor's own work.
            using (var store = new HandoffWriteStream(writer))
            {
                actualDiffId = Compress(sourceBlob, target, level, store);
                store.Complete();
            }
            CheckDiffId(sourceBlob, diffId, actualDiffId);
            size = writer.Written;
            blob = writer.Commit();
        }
        var mediaType = target.OciLayerMediaType();
        root.Database.PutConversion(new BlobConversion(sourceBlob, name, levelKey, blob, size, mediaType));
        return (new Descriptor { MediaType = mediaType, Digest = blob.ToString(), Size = size }, false);
    }

    /// <summary>
    /// Compresses the layer straight into <paramref name="destination"/> (a push streams it to the registry) without
    /// keeping the bytes; the destination is disposed once the last byte is written and the source checked. The caller,
    /// which hashes what it sends anyway, records the result with <see cref="RecordCompressed"/>.
    /// </summary>
    public void CompressInto(Digest sourceBlob, Digest diffId, LayerCompression target, int? level, Stream destination)
    {
        CheckDiffId(sourceBlob, diffId, Compress(sourceBlob, target, level, destination));
        destination.Dispose();
    }

    /// <summary>
    /// Remembers the digest of a layer compressed into an upload (<see cref="CompressInto"/>): its bytes are not kept,
    /// but a later push knows what the registry has without compressing again.
    /// </summary>
    public Descriptor RecordCompressed(Digest sourceBlob, LayerCompression target, int? level, Digest blob, long size)
    {
        var mediaType = target.OciLayerMediaType();
        root.Database.PutConversion(new BlobConversion(sourceBlob, Name(target), level ?? DefaultLevelKey, blob, size, mediaType, Stored: false));
        return new Descriptor { MediaType = mediaType, Digest = blob.ToString(), Size = size };
    }

    /// <summary>The recorded conversion, when its blob is in the store.</summary>
    public Descriptor? Find(Digest sourceBlob, LayerCompression target, int? level) =>
        Known(sourceBlob, target, level) is { } known && root.Content.Exists(Digest.Parse(known.Digest)) ? known : null;

    /// <summary>The recorded conversion, whether or not its bytes are kept (a push records digests only).</summary>
    public Descriptor? Known(Digest sourceBlob, LayerCompression target, int? level) =>
        root.Database.FindConversion(sourceBlob, Name(target), level ?? DefaultLevelKey) is { } known
            ? new Descriptor { MediaType = known.MediaType, Digest = known.Target.ToString(), Size = known.TargetSize }
            : null;

    /// <summary>Decompresses the source (whatever it is stored as) and compresses it into <paramref name="output"/>; returns the tar's digest.</summary>
    private Digest Compress(Digest sourceBlob, LayerCompression target, int? level, Stream output)
    {
        using var source = root.Content.OpenRead(sourceBlob);
        using var tar = LayerCompressionStreams.OpenDecompressor(source, MaxLayerBytes, out _);
        using var compressor = LayerCompressionStreams.CreateCompressor(output, target, target == LayerCompression.None ? null : level, leaveOpen: true);
        return CopyHashing(tar, compressor);
    }

    private static void CheckDiffId(Digest sourceBlob, Digest diffId, Digest actual)
    {
        if (actual != diffId)
            throw new InvalidDataException($"layer blob {sourceBlob} does not hold layer {diffId} (its tar hashes to {actual}); rebuild with --no-cache");
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
