namespace Csbuild.Frontend.Conversion;

/// <summary>Recognises the archive formats ADD would unpack (tar, gzip, bzip2, xz, zstd) by their first bytes.</summary>
internal static class ArchiveDetector
{
    public static bool IsArchive(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> header = stackalloc byte[512];
            var n = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            var h = header[..n];
            if (h.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b])) return true; // gzip
            if (h.StartsWith("BZh"u8)) return true; // bzip2
            if (h.StartsWith((ReadOnlySpan<byte>)[0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00])) return true; // xz
            if (h.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd])) return true; // zstd
            return n >= 262 && h.Slice(257, 5).SequenceEqual("ustar"u8); // tar
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
