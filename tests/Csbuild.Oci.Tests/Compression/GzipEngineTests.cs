using System.Security.Cryptography;
using System.Text;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Tests.Support;

namespace Csbuild.Oci.Tests.Compression;

/// <summary>The two deflate engines behind gzip layers: ISA-L's igzip (default where installed) and zlib-ng.</summary>
public class GzipEngineTests
{
    // Word salad, like source files and the text half of the bench's big context: compressible, not trivially.
    private static byte[] Text(int length, int seed = 11)
    {
        string[] words = ["layer", "snapshot", "digest", "manifest", "registry", "overlay", "runc", "tar", "index", "blob",
            "cache", "solver", "frontend", "config", "mount", "commit", "push", "pull", "stage", "context"];
        var random = new Random(seed);
        var text = new StringBuilder(length + 64);
        while (text.Length < length)
            text.Append(words[random.Next(words.Length)]).Append(random.Next(12) == 0 ? '\n' : ' ').Append(random.Next(1000));
        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }

    private static byte[] Compress(byte[] data, GzipEngine? engine, int? level, int workers = 2)
    {
        var output = new MemoryStream();
        using (var gzip = engine is { } chosen
            ? new ParallelGzipCompressStream(output, chosen, level!.Value, workers, leaveOpen: true)
            : new ParallelGzipCompressStream(output, level, workers, leaveOpen: true))
        {
            for (int offset = 0; offset < data.Length; offset += 65_537)
                gzip.Write(data, offset, Math.Min(65_537, data.Length - offset));
        }
        return output.ToArray();
    }

    private static void AssertGnuGzipReads(byte[] blob, byte[] expected)
    {
        using var dir = new TempDirectory();
        string path = dir.Combine("layer.gz");
        File.WriteAllBytes(path, blob);
        ExternalTool.Run("gzip", "-t", path);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(expected)), ExternalTool.Sha256Of("gzip -dc \"$1\"", path));
    }

    [Fact]
    public void Igzip_IsUsable_OnTheTestMachine()
    {
        // test.sh installs libisal2; without it every default gzip here would quietly test zlib-ng only.
        Assert.True(IsalGzip.IsAvailable, "libisal.so.2 (Debian package libisal2) did not load or failed its self-test");
    }

    [Fact]
    public void TheDefault_IsIgzipLevel3_AndAGivenLevel_IsZlibs()
    {
        var data = Text(2 * ParallelGzipCompressStream.ChunkSize + 4321);
        var byDefault = Compress(data, engine: null, level: null);
        Assert.Equal(Compress(data, GzipEngine.Isal, IsalGzip.DefaultLevel), byDefault);
        Assert.Equal(Compress(data, GzipEngine.Zlib, 2), Compress(data, engine: null, level: 2));
        Assert.NotEqual(Compress(data, GzipEngine.Zlib, 2), byDefault);
        AssertGnuGzipReads(byDefault, data);
    }

    [Fact]
    public void Igzip_CompressesWithinAFewPercentOfZlibLevel2()
    {
        var data = Text(ParallelGzipCompressStream.ChunkSize);
        long zlib = Compress(data, GzipEngine.Zlib, 2).Length;
        long igzip = Compress(data, GzipEngine.Isal, IsalGzip.DefaultLevel).Length;
        Assert.True(igzip < data.Length * 0.7, $"igzip made {igzip} bytes of {data.Length}");
        Assert.InRange(igzip, zlib * 0.9, zlib * 1.03);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    [InlineData(true, 3)]
    [InlineData(false, 0)]
    [InlineData(false, 6)]
    public void EveryEngineAndLevel_IsReadByGnuGzipAndTheBcl_WhateverTheWorkerCount(bool igzip, int level)
    {
        var engine = igzip ? GzipEngine.Isal : GzipEngine.Zlib;
        var data = new byte[3 * ParallelGzipCompressStream.ChunkSize + 99];
        Text(data.Length).CopyTo(data, 0);
        new Random(5).NextBytes(data.AsSpan(ParallelGzipCompressStream.ChunkSize, ParallelGzipCompressStream.ChunkSize)); // a stored chunk
        var one = Compress(data, engine, level, workers: 1);
        Assert.Equal(one, Compress(data, engine, level, workers: 4));
        AssertGnuGzipReads(one, data);
        using var back = LayerCompressionStreams.OpenDecompressor(new MemoryStream(one), long.MaxValue, out var detected);
        var read = new MemoryStream();
        back.CopyTo(read);
        Assert.Equal(LayerCompression.Gzip, detected);
        Assert.Equal(data, read.ToArray());
    }

    [Fact]
    public void IgzipLevelsOutsideOneToThree_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelGzipCompressStream(new MemoryStream(), GzipEngine.Isal, 0, 1, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelGzipCompressStream(new MemoryStream(), GzipEngine.Isal, 4, 1, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => IsalGzip.TryCompress([1, 2, 3], 9));
    }
}
