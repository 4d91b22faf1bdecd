using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers.Streams;
using Csbuild.Oci.Layers.Tar;
using Csbuild.Oci.Native;

namespace Csbuild.Oci.Layers;

/// <summary>
/// Writes a diff directory (overlayfs upper-dir format, or the OCI whiteout-file format an unprivileged
/// extraction leaves) as an OCI layer blob, in one streaming pass that also yields both digests.
/// </summary>
public static class LayerTarWriter
{
    /// <summary>
    /// Archives <paramref name="diffDirectory"/> into <paramref name="destination"/> (left open, not flushed):
    /// entries in BuildKit walk order (depth first, names in byte order, a directory before its contents), ustar
    /// headers with PAX records where needed, overlay whiteouts as <c>.wh.NAME</c>, opaque directories followed by
    /// <c>.wh..wh..opq</c>, hardlinks inside the layer as link entries, xattrs as <c>SCHILY.xattr.*</c> (except
    /// overlayfs' own and security.selinux), empty user/group names, whole-second mtimes clamped to
    /// <see cref="LayerWriteOptions.ClampTimestamp"/>. An empty directory gives a valid empty tar (0 entries).
    /// </summary>
    public static LayerWriteResult Write(string diffDirectory, Stream destination, LayerWriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(diffDirectory);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(options);
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(diffDirectory));
        var rootStatus = Libc.TryStatNoFollow(root);
        if (rootStatus is not { IsDirectory: true })
            throw new DirectoryNotFoundException($"diff directory '{root}' does not exist or is not a directory");

        bool compressed = options.Compression != LayerCompression.None;
        using var blob = new DigestingWriteStream(destination, leaveOpen: true);
        using var compressor = compressed
            ? LayerCompressionStreams.CreateCompressor(blob, options.Compression, options.CompressionLevel, options.CompressionWorkers, leaveOpen: true)
            : null;
        using var tarBytes = compressed ? new DigestingWriteStream(compressor!, leaveOpen: true) : null;
        var uncompressed = tarBytes ?? blob;

        int entryCount;
        // The walk (stat, xattrs, reading files) on this thread; hashing, compressing and writing the blob on another.
        using (var handoff = new HandoffWriteStream(uncompressed))
        {
            using (var tar = new TarArchiveWriter(handoff))
            {
                using var walker = new DiffTreeArchiver(root, tar, options);
                walker.ArchiveContents();
                tar.Finish();
                entryCount = walker.EntryCount;
            }
            handoff.Complete();
        }
        compressor?.Dispose(); // ends the gzip member / zstd frame, so the blob is complete before it is measured

        return new LayerWriteResult(
            DiffId: uncompressed.Digest(),
            BlobDigest: blob.Digest(),
            BlobSize: blob.BytesWritten,
            UncompressedSize: uncompressed.BytesWritten,
            EntryCount: entryCount,
            MediaType: options.Compression.OciLayerMediaType());
    }
}
