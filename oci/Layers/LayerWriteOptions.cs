using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Layers;

/// <summary>How <see cref="LayerTarWriter"/> turns a diff directory into a layer blob.</summary>
public sealed record LayerWriteOptions
{
    public static LayerWriteOptions Default { get; } = new();

    /// <summary>Blob compression; gzip is what every registry and runtime accepts.</summary>
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

    /// <summary>
    /// Compression level; null picks the host's default gzip (<see cref="ParallelGzipCompressStream"/>) or
    /// <see cref="LayerCompressionStreams.DefaultZstdLevel"/>.
    /// </summary>
    public int? CompressionLevel { get; init; }

    /// <summary>Compression threads (gzip and zstd); null means one per core. The output does not depend on this number.</summary>
    public int? CompressionWorkers { get; init; }

    /// <summary>
    /// SOURCE_DATE_EPOCH: modification times later than this are written as this instant (earlier ones are kept),
    /// so rebuilding from the same sources gives the same layer digest.
    /// </summary>
    public DateTimeOffset? ClampTimestamp { get; init; }

    /// <summary>
    /// Called with each entry's layer path ("usr/bin/tool", no leading slash or "./"); a non-null result replaces
    /// the owner read from the file system. For builds that could not chown files (not running as root).
    /// </summary>
    public Func<string, (int Uid, int Gid)?>? OwnerOverride { get; init; }
}

/// <summary>
/// What <see cref="LayerTarWriter.Write"/> produced. <see cref="DiffId"/> is the sha256 of the uncompressed tar
/// (the image config's rootfs.diff_ids); <see cref="BlobDigest"/>/<see cref="BlobSize"/> describe the bytes
/// written to the destination (the manifest's layer descriptor).
/// </summary>
public sealed record LayerWriteResult(
    Digest DiffId, Digest BlobDigest, long BlobSize, long UncompressedSize, int EntryCount, string MediaType)
{
    public Descriptor ToDescriptor() => new() { MediaType = MediaType, Digest = BlobDigest.ToString(), Size = BlobSize };
}
