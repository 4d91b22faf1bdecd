using Csbuild.Cache;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Layers.Tar;
using Csbuild.Oci.Native;

namespace Csbuild.Solver.Ops;

/// <summary>
/// ADD's automatic unpacking of a local tar archive (plain, gzip, bzip2, xz or zstd), as BuildKit does it: a
/// regular file whose decompressed start is a valid tar header is extracted into the destination directory,
/// keeping the archive's owners, modes and times; anything else is copied as a file. The archive is untrusted:
/// it is unpacked by oci's <see cref="LayerExtractor"/> (no <c>..</c> or absolute escapes, no writes through
/// symlinks the archive plants, bounded size) into a private temporary directory, then moved into the diff.
/// </summary>
public static class ArchiveExtraction
{
    private static long MaxUncompressedBytes => DecompressionLimit.Default; // CSBUILD_MAX_DECOMPRESSED_SIZE

    /// <summary>Whether BuildKit would unpack this file: its decompressed content starts with a valid tar header.</summary>
    public static bool IsArchive(string hostPath) => LocalArchive.StartsWithTar(hostPath); // else copied as a plain file, as BuildKit does

    /// <summary>
    /// Unpacks <paramref name="archiveHostPath"/> into the directory <paramref name="destRelative"/> of the diff
    /// (resolved in the target filesystem already), creating it if needed; existing files are replaced, existing
    /// directories merged.
    /// </summary>
    public static void ExtractInto(DiffWriter diff, string archiveHostPath, string archiveName, string destRelative, string temporaryDirectory)
    {
        if (diff.View.Find(destRelative) is { } existing && Libc.TryStatNoFollow(existing) is { IsDirectory: false })
            throw new BuildException($"cannot unpack {archiveName} into /{destRelative}: it exists and is not a directory");
        Directory.CreateDirectory(temporaryDirectory);
        var unpacked = StaleFiles.NewPath(temporaryDirectory, "unpack");
        try
        {
            using (var tar = LocalArchive.OpenTar(archiveHostPath, MaxUncompressedBytes, out var process))
            using (process)
            {
                try
                {
                    LayerExtractor.Extract(tar, unpacked, new LayerExtractOptions { AllowDevices = true, MaxUncompressedBytes = MaxUncompressedBytes });
                }
                catch (InvalidDataException e)
                {
                    throw new BuildException($"cannot unpack {archiveName}: {e.Message}");
                }
                if (process is not null)
                {
                    process.WaitForExit();
                    if (process.ExitCode != 0)
                        throw new BuildException($"cannot unpack {archiveName}: {process.StartInfo.FileName} exited with code {process.ExitCode}: {process.StandardError.ReadToEnd().Trim()}");
                }
            }
            diff.EnsureDirectory(destRelative, 0b111_101_101, 0, 0);
            Merge(diff, unpacked, destRelative, archiveName);
        }
        finally
        {
            StaleFiles.DeleteTree(unpacked);
        }
    }

    /// <summary>
    /// Moves the unpacked tree into the diff by renaming (same filesystem, no copy). A directory that already
    /// exists in the diff is merged and takes the archive's metadata, as tar does; one that exists only in a lower
    /// layer is simply placed in the diff, where overlayfs merges it with the lower one.
    /// </summary>
    private static void Merge(DiffWriter diff, string fromDirectory, string toRelative, string archiveName)
    {
        foreach (var name in Directory.EnumerateFileSystemEntries(fromDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            var from = Path.Combine(fromDirectory, name!);
            var relative = toRelative.Length == 0 ? name! : toRelative + "/" + name;
            var target = diff.HostPath(relative);
            var status = Libc.StatNoFollow(from);
            if (status.IsOverlayWhiteout)
                throw new BuildException($"cannot unpack {archiveName}: it deletes /{relative} with a whiteout entry (.wh.{name}), which ADD does not apply");
            var existing = Libc.TryStatNoFollow(target);
            if (status.IsDirectory && existing is { IsDirectory: true })
            {
                diff.SetOwner(relative, status.Uid, status.Gid);
                DiffWriter.SetMode(target, status.Permissions);
                Merge(diff, from, relative, archiveName);
                DiffWriter.SetMtime(target, status.MtimeSeconds, status.MtimeNanoseconds);
                continue;
            }
            if (existing is not null) DiffWriter.RemoveEntry(target);
            Libc.Rename(from, target);
        }
    }
}
