using Csbuild.Oci.Layers;
using Csbuild.Oci.Layers.Tar;

namespace Csbuild.Cli.Context;

/// <summary>
/// Unpacks a context archive (plain tar, gzip, zstd in process; bzip2 and xz with their tools) into a directory.
/// The archive is untrusted: oci's <see cref="LayerExtractor"/> refuses escapes and bounds the size; owners and
/// devices are not recreated (COPY gives files to root unless --chown says otherwise).
/// </summary>
internal static class TarContext
{
    /// <summary>Whether the file's decompressed content starts with a valid tar header (else it is a lone Dockerfile).</summary>
    public static bool IsTar(string path) => LocalArchive.StartsWithTar(path);

    public static void Extract(string archivePath, string directory, string what)
    {
        using var tar = LocalArchive.OpenTar(archivePath, LayerExtractOptions.Default.MaxUncompressedBytes, out var process);
        using var guard = process;
        try
        {
            LayerExtractor.Extract(tar, directory, new LayerExtractOptions { AllowDevices = false, Privileged = false });
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"unable to prepare context: {what} is not a valid tar archive: {e.Message}", ExitCodes.BuildFailed);
        }
        if (process is null) return;
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new CliException($"unable to prepare context: {process.StartInfo.FileName} could not decompress {what}: {process.StandardError.ReadToEnd().Trim()}", ExitCodes.BuildFailed);
    }
}
