using System.Diagnostics;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers;

namespace Csbuild.Cli.Context;

/// <summary>
/// Unpacks a context archive (plain tar, gzip, zstd in process; bzip2 and xz with their tools) into a directory.
/// The archive is untrusted: oci's <see cref="LayerExtractor"/> refuses escapes and bounds the size; owners and
/// devices are not recreated (COPY gives files to root unless --chown says otherwise).
/// </summary>
internal static class TarContext
{
    private const int TarBlockSize = 512;

    /// <summary>Whether the file's decompressed content starts with a valid tar header (else it is a lone Dockerfile).</summary>
    public static bool IsTar(string path)
    {
        try
        {
            using var tar = OpenTar(path, out var process);
            using var guard = process;
            var header = new byte[TarBlockSize];
            var n = tar.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (process is { HasExited: false }) process.Kill();
            return n == TarBlockSize && ValidHeader(header);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public static void Extract(string archivePath, string directory, string what)
    {
        using var tar = OpenTar(archivePath, out var process);
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

    private static Stream OpenTar(string path, out Process? process)
    {
        process = null;
        Span<byte> magic = stackalloc byte[6];
        int n;
        using (var probe = File.OpenRead(path)) n = probe.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        var head = magic[..n];
        string? tool = head.StartsWith("BZh"u8) ? "bzip2"
            : head.StartsWith((ReadOnlySpan<byte>)[0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00]) ? "xz"
            : null;
        if (tool is null) return LayerCompressionStreams.OpenDecompressor(File.OpenRead(path), LayerExtractOptions.Default.MaxUncompressedBytes, out _);
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-dc", "--", path }) start.ArgumentList.Add(arg);
        process = Process.Start(start) ?? throw new IOException($"could not start {tool}");
        return process.StandardOutput.BaseStream;
    }

    /// <summary>Not all zeros, and the checksum field matches the header's bytes (as tar computes it, signed or unsigned).</summary>
    private static bool ValidHeader(ReadOnlySpan<byte> block)
    {
        if (!block.ContainsAnyExcept((byte)0)) return false;
        long unsignedSum = 0, signedSum = 0;
        for (int i = 0; i < TarBlockSize; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : block[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        var field = System.Text.Encoding.ASCII.GetString(block.Slice(148, 8)).Trim(' ', '\0');
        try
        {
            var stored = Convert.ToInt64(field, 8);
            return stored == unsignedSum || stored == signedSum;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return false;
        }
    }
}
