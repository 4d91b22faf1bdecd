using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers.Streams;
using Csbuild.Oci.Layers.Tar;
using Csbuild.Oci.Native;

namespace Csbuild.Oci.Layers;

/// <summary>
/// Unpacks a layer blob (gzip, zstd or plain tar, detected from its first bytes) into a snapshot directory in
/// overlayfs upper-dir format, safely: the blob is treated as hostile even though this runs as root.
/// </summary>
public static class LayerExtractor
{
    /// <summary>Name prefix of the temporary directory beside the target: ".NAME.extract-…" (a crashed run may leave one behind).</summary>
    public const string TemporaryInfix = ".extract-";

    /// <summary>
    /// Extracts <paramref name="blob"/> into <paramref name="targetDirectory"/>, which must not exist or be empty.
    /// Everything is written into a private temporary directory beside the target, which is renamed into place
    /// only when the whole archive was read, its end marker seen and its diff_id verified; on any failure the
    /// temporary directory is removed and the target is left as it was. Malformed, truncated or hostile archives
    /// (paths escaping the target, writes through symlinks the layer planted, hardlinks leaving the layer) throw
    /// <see cref="InvalidDataException"/>; exceeding the size limit throws <see cref="DecompressionLimitExceededException"/>.
    /// </summary>
    public static LayerExtractResult Extract(Stream blob, string targetDirectory, LayerExtractOptions options)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(targetDirectory);
        ArgumentNullException.ThrowIfNull(options);
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetDirectory));
        string parent = Path.GetDirectoryName(target) ?? throw new ArgumentException("cannot extract into the file system root", nameof(targetDirectory));
        if (!Directory.Exists(parent)) throw new DirectoryNotFoundException($"parent directory '{parent}' of the extraction target does not exist");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"extraction target '{target}' is not empty");
        if (File.Exists(target)) throw new IOException($"extraction target '{target}' is a file");

        bool privileged = options.Privileged ?? Libc.IsRoot;
        string temporary = Path.Join(parent, "." + Path.GetFileName(target) + TemporaryInfix + Guid.NewGuid().ToString("N")[..12]);
        ContainedTree.MakeDirectory(temporary, 0x1C0); // 0700: nobody else can reach into it while we work
        try
        {
            var result = ExtractInto(blob, temporary, options, privileged);
            Libc.Rename(temporary, target); // rename(2) also replaces an empty directory
            return result;
        }
        catch
        {
            RemoveQuietly(temporary);
            throw;
        }
    }

    private static LayerExtractResult ExtractInto(Stream blob, string root, LayerExtractOptions options, bool privileged)
    {
        using var compressedBytes = new DigestingReadStream(blob, computeDigest: false, leaveOpen: true);
        using var decoded = LayerCompressionStreams.OpenDecompressor(compressedBytes, options.MaxUncompressedBytes, out var compression, leaveOpen: true);
        using var tarBytes = new DigestingReadStream(decoded, computeDigest: true, leaveOpen: true);
        using var reader = new TarArchiveReader(tarBytes);
        using var builder = new SnapshotBuilder(new ContainedTree(root, overlayWhiteouts: privileged), privileged, options.AllowDevices);

        int entryCount = 0;
        while (reader.ReadNext() is { } entry)
        {
            if (++entryCount > options.MaxEntries)
                throw new InvalidDataException($"layer has more than {options.MaxEntries} entries; refusing to extract it");
            builder.Apply(entry, reader);
        }
        reader.DrainToEnd();
        compressedBytes.CopyTo(Stream.Null); // count bytes after the compressed stream's end too: the blob size

        var diffId = tarBytes.Digest();
        if (options.ExpectedDiffId is { } expected && expected != diffId)
            throw new InvalidDataException($"layer diff_id mismatch: the archive hashes to {diffId}, expected {expected}");
        builder.Finish();
        return new LayerExtractResult(diffId, tarBytes.BytesRead, compressedBytes.BytesRead, compression, entryCount, OverlayFormat: privileged);
    }

    private static void RemoveQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leave it for the store's cleanup of stale "*.extract-*" directories; the original error matters more.
        }
    }
}
