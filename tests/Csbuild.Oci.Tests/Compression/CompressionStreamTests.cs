using System.Security.Cryptography;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Tests.Support;

namespace Csbuild.Oci.Tests.Compression;

public class CompressionStreamTests
{
    private static byte[] SampleData(int length = 3 * 1024 * 1024)
    {
        // compressible but not trivial: random words
        var random = new Random(7);
        var data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(random.Next(16) == 0 ? random.Next(256) : 'a' + (i / 7) % 26);
        return data;
    }

    private static byte[] Compress(byte[] data, LayerCompression compression, int? level = null, int? workers = null)
    {
        var output = new MemoryStream();
        using (var compressor = LayerCompressionStreams.CreateCompressor(output, compression, level, workers, leaveOpen: true))
        {
            // odd chunk sizes exercise the streaming loops
            for (int offset = 0; offset < data.Length; offset += 100_003)
                compressor.Write(data, offset, Math.Min(100_003, data.Length - offset));
        }
        return output.ToArray();
    }

    private static byte[] Decompress(byte[] blob, out LayerCompression detected, long limit = long.MaxValue)
    {
        using var input = LayerCompressionStreams.OpenDecompressor(new MemoryStream(blob), limit, out detected);
        var output = new MemoryStream();
        input.CopyTo(output, 7777);
        return output.ToArray();
    }

    [Theory]
    [InlineData(LayerCompression.None)]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    public void RoundTrip_DetectsTheCompressionFromMagicBytes(LayerCompression compression)
    {
        var data = SampleData();
        var blob = Compress(data, compression);
        if (compression != LayerCompression.None) Assert.True(blob.Length < data.Length / 2);
        Assert.Equal(data, Decompress(blob, out var detected));
        Assert.Equal(compression, detected);
    }

    [Fact]
    public void OurGzipAndZstd_AreReadByTheCommandLineTools_AndViceVersa()
    {
        using var dir = new TempDirectory();
        var data = SampleData();
        string raw = dir.Combine("raw");
        File.WriteAllBytes(raw, data);
        string expected = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

        string ourGzip = dir.Combine("ours.gz"), ourZstd = dir.Combine("ours.zst");
        File.WriteAllBytes(ourGzip, Compress(data, LayerCompression.Gzip));
        File.WriteAllBytes(ourZstd, Compress(data, LayerCompression.Zstd));
        Assert.Equal(expected, ExternalTool.Sha256Of("gzip -dc \"$1\"", ourGzip));
        Assert.Equal(expected, ExternalTool.Sha256Of("zstd -dcq \"$1\"", ourZstd));

        ExternalTool.Shell("gzip -9 -c \"$1\" > \"$1.gz\" && zstd -q -19 --long=27 -c \"$1\" > \"$1.zst\"", raw);
        Assert.Equal(data, Decompress(File.ReadAllBytes(raw + ".gz"), out var gz));
        Assert.Equal(LayerCompression.Gzip, gz);
        Assert.Equal(data, Decompress(File.ReadAllBytes(raw + ".zst"), out var zst));
        Assert.Equal(LayerCompression.Zstd, zst);
    }

    [Fact]
    public void ConcatenatedMembersAndFrames_AreReadCompletely()
    {
        var first = SampleData(100_000);
        var second = SampleData(50_000);
        foreach (var compression in new[] { LayerCompression.Gzip, LayerCompression.Zstd })
        {
            byte[] blob = [.. Compress(first, compression), .. Compress(second, compression)];
            Assert.Equal([.. first, .. second], Decompress(blob, out _));
        }
    }

    [Fact]
    public void Zstd_OutputDoesNotDependOnTheWorkerCount_AndLevelsMatter()
    {
        var data = SampleData(8 * 1024 * 1024);
        var one = Compress(data, LayerCompression.Zstd, level: 3, workers: 1);
        var two = Compress(data, LayerCompression.Zstd, level: 3, workers: 2);
        var four = Compress(data, LayerCompression.Zstd, level: 3, workers: 4);
        Assert.Equal(one, two);
        Assert.Equal(one, four);
        var fast = Compress(data, LayerCompression.Zstd, level: 1);
        var strong = Compress(data, LayerCompression.Zstd, level: 15);
        Assert.True(strong.Length < fast.Length, $"level 15 ({strong.Length}) should beat level 1 ({fast.Length})");
        Assert.Equal(data, Decompress(strong, out _));
    }

    [Fact]
    public void ParallelGzip_OutputDoesNotDependOnTheWorkerCount_AndIsValidMultiMemberGzip()
    {
        using var dir = new TempDirectory();
        var data = SampleData(3 * ParallelGzipCompressStream.ChunkSize + 12345);
        var one = Compress(data, LayerCompression.Gzip, workers: 1);
        var two = Compress(data, LayerCompression.Gzip, workers: 2);
        var eight = Compress(data, LayerCompression.Gzip, workers: 8);
        Assert.Equal(one, two);
        Assert.Equal(one, eight);

        string path = dir.Combine("multi.gz");
        File.WriteAllBytes(path, one);
        ExternalTool.Run("gzip", "-t", path);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(data)), ExternalTool.Sha256Of("gzip -dc \"$1\"", path));
        Assert.Equal(data, Decompress(one, out _));
    }

    [Fact]
    public void ParallelGzip_StoresIncompressibleChunks_AndDeflatesTheRest()
    {
        using var dir = new TempDirectory();
        int chunk = ParallelGzipCompressStream.ChunkSize;
        var data = new byte[2 * chunk];
        new Random(3).NextBytes(data.AsSpan(0, chunk)); // chunk 1: random, chunk 2: compressible
        SampleData(chunk).CopyTo(data, chunk);
        var blob = Compress(data, LayerCompression.Gzip, workers: 2);

        // The first member holds the random chunk: its first deflate block is stored (BTYPE 00), the second is not.
        Assert.Equal(0, DeflateBlockType(blob, 0));
        int second = SecondMemberOffset(blob);
        Assert.NotEqual(0, DeflateBlockType(blob, second));
        Assert.InRange(second, chunk, chunk + chunk / 1000); // stored: the random chunk's size plus block headers
        Assert.Equal(blob, Compress(data, LayerCompression.Gzip, workers: 1));
        string path = dir.Combine("mixed.gz");
        File.WriteAllBytes(path, blob);
        ExternalTool.Run("gzip", "-t", path);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(data)), ExternalTool.Sha256Of("gzip -dc \"$1\"", path));
    }

    [Fact]
    public void CompressibilityProbe_JudgesBySamples()
    {
        var random = new byte[1 << 20];
        new Random(5).NextBytes(random);
        Assert.True(CompressibilityProbe.IsIncompressible(random));
        Assert.False(CompressibilityProbe.IsIncompressible(SampleData(1 << 20)));
        Assert.False(CompressibilityProbe.IsIncompressible(random.AsSpan(0, 3 * CompressibilityProbe.SampleSize))); // too short to judge
        var compressibleMiddle = (byte[])random.Clone();
        Array.Fill(compressibleMiddle, (byte)'x', compressibleMiddle.Length / 2 - 40_000, 80_000);
        Assert.False(CompressibilityProbe.IsIncompressible(compressibleMiddle));
    }

    /// <summary>BTYPE of the first deflate block of the gzip member at <paramref name="offset"/> (a plain 10-byte header).</summary>
    private static int DeflateBlockType(byte[] gzip, int offset)
    {
        Assert.Equal(0x1F, gzip[offset]);
        Assert.Equal(0x8B, gzip[offset + 1]);
        Assert.Equal(0, gzip[offset + 3]); // no optional header fields
        return (gzip[offset + 10] >> 1) & 0b11;
    }

    /// <summary>Where the second gzip member starts: after the first member's deflate data and 8-byte trailer.</summary>
    private static int SecondMemberOffset(byte[] gzip)
    {
        // The stored chunk is at least ChunkSize bytes: the next header (magic, deflate, no flags) follows it.
        for (int i = ParallelGzipCompressStream.ChunkSize; i < gzip.Length - 10; i++)
            if (gzip[i] == 0x1F && gzip[i + 1] == 0x8B && gzip[i + 2] == 8 && gzip[i + 3] == 0) return i;
        throw new InvalidDataException("no second gzip member");
    }

    [Fact]
    public void ParallelGzip_OfNothing_IsAValidEmptyGzip()
    {
        using var dir = new TempDirectory();
        var empty = Compress([], LayerCompression.Gzip);
        string path = dir.Combine("empty.gz");
        File.WriteAllBytes(path, empty);
        ExternalTool.Run("gzip", "-t", path);
        Assert.Equal("", ExternalTool.Shell("gzip -dc \"$1\"", path));
        Assert.Empty(Decompress(empty, out var detected));
        Assert.Equal(LayerCompression.Gzip, detected);
    }

    [Fact]
    public void Gzip_LevelsMatter_AndBadLevelsAreRefused()
    {
        var data = SampleData();
        var fastest = Compress(data, LayerCompression.Gzip, level: 1);
        var best = Compress(data, LayerCompression.Gzip, level: 9);
        Assert.True(best.Length < fastest.Length);
        Assert.Equal(data, Decompress(best, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => Compress(data, LayerCompression.Gzip, level: 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Compress(data, LayerCompression.Zstd, level: 99));
        Assert.Throws<ArgumentException>(() => Compress(data, LayerCompression.None, level: 3));
    }

    [Theory]
    [InlineData(LayerCompression.None)]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    public void DecompressionBeyondTheLimit_IsRefused_ButExactlyTheLimitIsFine(LayerCompression compression)
    {
        var bomb = Compress(new byte[4 * 1024 * 1024], compression); // zeros compress ~1000:1
        Assert.Equal(4 * 1024 * 1024, Decompress(bomb, out _, limit: 4 * 1024 * 1024).Length);
        var error = Assert.Throws<DecompressionLimitExceededException>(() => Decompress(bomb, out _, limit: 1024 * 1024));
        Assert.Equal(1024 * 1024, error.Limit);
        Assert.Contains("exceeds the limit of 1048576 bytes", error.Message);
    }

    [Fact]
    public void TruncatedZstd_IsInvalidData()
    {
        var blob = Compress(SampleData(), LayerCompression.Zstd);
        var error = Assert.Throws<InvalidDataException>(() => Decompress(blob[..(blob.Length / 2)], out _));
        Assert.Contains("truncated", error.Message);
        Assert.Throws<InvalidDataException>(() => Decompress(blob[..^3], out _)); // only the checksum cut off
    }

    [Fact]
    public void CorruptZstd_IsInvalidData_WithLibzstdsReason()
    {
        var blob = Compress(SampleData(), LayerCompression.Zstd);
        blob[blob.Length / 2] ^= 0xFF;
        blob[blob.Length / 2 + 1] ^= 0xFF;
        var error = Assert.Throws<InvalidDataException>(() => Decompress(blob, out _));
        Assert.StartsWith("zstd decompressStream failed:", error.Message);
    }

    [Fact]
    public void Detector_RecognizesMagicNumbers()
    {
        Assert.Equal(LayerCompression.Gzip, CompressionDetector.Detect([0x1F, 0x8B, 0x08, 0x00]));
        Assert.Equal(LayerCompression.Zstd, CompressionDetector.Detect([0x28, 0xB5, 0x2F, 0xFD]));
        Assert.Equal(LayerCompression.Zstd, CompressionDetector.Detect([0x5A, 0x2A, 0x4D, 0x18])); // skippable frame
        Assert.Equal(LayerCompression.None, CompressionDetector.Detect("bin/"u8));
        Assert.Equal(LayerCompression.None, CompressionDetector.Detect([]));
    }

    [Fact]
    public void ZstdSkippableFrame_BeforeData_IsStepped_Over()
    {
        var data = SampleData(10_000);
        byte[] skippable = [0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
        byte[] blob = [.. skippable, .. Compress(data, LayerCompression.Zstd)];
        Assert.Equal(data, Decompress(blob, out var detected));
        Assert.Equal(LayerCompression.Zstd, detected);
    }
}
