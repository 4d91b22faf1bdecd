using System.Buffers.Binary;

namespace Csbuild.Oci.Compression;

/// <summary>Recognizes a blob's compression from its first bytes (media types are not always trustworthy).</summary>
public static class CompressionDetector
{
    /// <summary>How many leading bytes <see cref="Detect"/> looks at.</summary>
    public const int MagicLength = 4;

    private const uint ZstdFrameMagic = 0xFD2FB528;
    private const uint ZstdSkippableMagicMask = 0xFFFFFFF0;
    private const uint ZstdSkippableMagic = 0x184D2A50;

    public static LayerCompression Detect(ReadOnlySpan<byte> header)
    {
        if (header.Length >= 2 && header[0] == 0x1F && header[1] == 0x8B) return LayerCompression.Gzip;
        if (header.Length >= 4)
        {
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
            // A zstd stream may begin with a skippable frame (0x184D2A50..5F), which libzstd steps over.
            if (magic == ZstdFrameMagic || (magic & ZstdSkippableMagicMask) == ZstdSkippableMagic)
                return LayerCompression.Zstd;
        }
        return LayerCompression.None;
    }
}
