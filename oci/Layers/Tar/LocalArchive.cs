using System.Diagnostics;
using Csbuild.Oci.Compression;

namespace Csbuild.Oci.Layers.Tar;

/// <summary>
/// A tar archive in a local file, plain or compressed, as <c>ADD</c> and tarball build contexts read it: gzip and
/// zstd are decoded in process; bzip2 and xz, which the BCL lacks, by the <c>bzip2</c> and <c>xz</c> tools.
/// </summary>
public static class LocalArchive
{
    private const int TarBlockSize = 512;

    /// <summary>
    /// Whether the file's decompressed content starts with a valid tar header (BuildKit's test for unpacking an ADD
    /// source). Unreadable or undecodable files are not archives.
    /// </summary>
    public static bool StartsWithTar(string path)
    {
        try
        {
            using var tar = OpenTar(path, DecompressionLimit.Default, out var process);
            using var guard = process;
            var header = new byte[TarBlockSize];
            var n = tar.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (process is { HasExited: false }) process.Kill();
            return n == TarBlockSize && IsValidHeader(header);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>
    /// The archive's tar bytes. For bzip2 and xz the decoding tool is returned as <paramref name="process"/>: after
    /// reading, wait for it and check its exit code (a corrupt archive may only show there).
    /// </summary>
    public static Stream OpenTar(string path, long maxUncompressedBytes, out Process? process)
    {
        process = null;
        Span<byte> magic = stackalloc byte[6];
        int n;
        using (var probe = File.OpenRead(path)) n = probe.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        var head = magic[..n];
        string? tool = head.StartsWith("BZh"u8) ? "bzip2"
            : head.StartsWith((ReadOnlySpan<byte>)[0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00]) ? "xz"
            : null;
        if (tool is null) return LayerCompressionStreams.OpenDecompressor(File.OpenRead(path), maxUncompressedBytes, out _);
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-dc", "--", path }) start.ArgumentList.Add(arg);
        process = Process.Start(start) ?? throw new IOException($"could not start {tool}");
        return process.StandardOutput.BaseStream;
    }

    /// <summary>A tar header block: not all zeros, and its checksum field matches its bytes' sum (signed or unsigned, as tar computes it).</summary>
    public static bool IsValidHeader(ReadOnlySpan<byte> block)
    {
        if (block.Length < TarBlockSize || !block.ContainsAnyExcept((byte)0)) return false;
        long unsignedSum = 0, signedSum = 0;
        for (int i = 0; i < TarBlockSize; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : block[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        long recorded = 0;
        int digits = 0;
        foreach (var c in block.Slice(148, 8))
        {
            if (c is (byte)' ' or 0) { if (digits > 0) break; continue; }
            if (c is < (byte)'0' or > (byte)'7') return false;
            recorded = recorded * 8 + (c - '0');
            digits++;
        }
        return digits > 0 && (recorded == unsignedSum || recorded == signedSum);
    }
}
