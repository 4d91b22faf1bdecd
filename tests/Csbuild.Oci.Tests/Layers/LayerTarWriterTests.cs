using System.Security.Cryptography;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Layers.Tar;
using Csbuild.Oci.Model;
using Csbuild.Oci.Native;
using Csbuild.Oci.Tests.Support;

namespace Csbuild.Oci.Tests.Layers;

public class LayerTarWriterTests
{
    [Theory]
    [InlineData(LayerCompression.Gzip, "gzip -dc \"$1\"", MediaTypes.OciLayerGzip)]
    [InlineData(LayerCompression.Zstd, "zstd -dcq \"$1\"", MediaTypes.OciLayerZstd)]
    [InlineData(LayerCompression.None, "cat \"$1\"", MediaTypes.OciLayer)]
    public void Digests_MatchSha256sumOfTheBlobAndOfItsDecompression(LayerCompression compression, string decompress, string mediaType)
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        SampleTrees.BuildFullTree(diff);
        string blob = dir.Combine("layer.blob");

        var result = LayerHelper.WriteToFile(diff, blob, new LayerWriteOptions { Compression = compression });

        Assert.Equal(mediaType, result.MediaType);
        Assert.Equal(new FileInfo(blob).Length, result.BlobSize);
        Assert.Equal(ExternalTool.Sha256Of("cat \"$1\"", blob), result.BlobDigest.ToString());
        Assert.Equal(ExternalTool.Sha256Of(decompress, blob), result.DiffId.ToString());
        Assert.Equal(long.Parse(ExternalTool.Shell(decompress + " | wc -c", blob).Trim()), result.UncompressedSize);
        if (compression == LayerCompression.None) Assert.Equal(result.BlobDigest, result.DiffId);
        else Assert.True(result.BlobSize < result.UncompressedSize);
        Assert.Equal(LayerHelper.ListWithGnuTar(blob).Count, result.EntryCount);
        var descriptor = result.ToDescriptor();
        Assert.Equal((mediaType, result.BlobDigest.ToString(), result.BlobSize), (descriptor.MediaType, descriptor.Digest, descriptor.Size));
    }

    [Fact]
    public void Entries_AreInWalkOrder_DirectoriesFirst_NamesInByteOrder_WithOciWhiteouts()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        foreach (var d in new[] { "a", "a/b", "B", "opaque" }) Directory.CreateDirectory(Path.Join(diff, d));
        foreach (var f in new[] { "a-c", "a/b/file", "a/z", "_x", "ä", "\U0001F600", "\uFFFD", "opaque/kept" })
            File.WriteAllText(Path.Join(diff, f), f);
        Libc.CreateNode(Path.Join(diff, "gone"), Libc.S_IFCHR, 0, 0);
        Libc.SetXattr(Path.Join(diff, "opaque"), Whiteouts.OverlayOpaqueXattr, "y"u8);
        File.CreateSymbolicLink(Path.Join(diff, "link"), "a/z");
        string blob = dir.Combine("layer.tar");

        LayerHelper.WriteToFile(diff, blob, new LayerWriteOptions { Compression = LayerCompression.None });

        // Go-style walk: a directory, then its contents, siblings by UTF-8 bytes ("a/" contents before "a-c");
        // a whiteout sorts by its ".wh." name; the opaque marker comes right after its directory.
        Assert.Equal(
            [".wh.gone", "B/", "_x", "a/", "a/b/", "a/b/file", "a/z", "a-c", "link", "opaque/", "opaque/.wh..wh..opq", "opaque/kept", "ä", "\uFFFD", "\U0001F600"],
            LayerHelper.ListWithGnuTar(blob));
    }

    [Fact]
    public void TarHeaders_CarryModesOwnersLinksAndXattrs_ButNoOverlayInternals()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        SampleTrees.BuildFullTree(diff);
        Libc.SetXattr(Path.Join(diff, "etc", "config"), "trusted.overlay.origin", [1, 2, 3]);
        Libc.SetXattr(Path.Join(diff, "bin"), "trusted.overlay.impure", "y"u8);
        string blob = dir.Combine("layer.tar");
        LayerHelper.WriteToFile(diff, blob, new LayerWriteOptions { Compression = LayerCompression.None });

        // GNU tar widens its columns as it goes: compare with runs of spaces collapsed
        var listing = System.Text.RegularExpressions.Regex.Replace(ExternalTool.Run("tar", "--numeric-owner", "-tvf", blob), " +", " ");
        Assert.True(listing.Contains("-rwsr-xr-x 0/0 20 2020-09-13 12:26 bin/tool\n"), listing);
        Assert.Contains("hrwsr-xr-x 0/0 0 2020-09-13 12:26 bin/tool-hardlink link to bin/tool\n", listing);
        Assert.Contains("drwx------ 1234/5678", listing);
        Assert.Contains("etc/config-link -> config", listing);
        Assert.Contains("prw------- 1234/5678", listing);
        Assert.Contains("drwxrwxrwt 0/0", listing);
        Assert.Contains("---------- 0/0 0 2020-09-13 12:26 .wh.deleted\n", listing);
        Assert.Contains("opaque/.wh..wh..opq", listing);
        Assert.Contains(SampleTrees.UnicodeName, listing);

        var entries = ReadEntries(blob);
        var pinger = entries.Single(e => e.Name == "bin/pinger");
        Assert.Equal(SampleTrees.CapabilityValue, pinger.Xattrs.Single(x => x.Name.AsSpan().SequenceEqual("security.capability"u8)).Value);
        Assert.DoesNotContain(entries.SelectMany(e => e.Xattrs), x => x.Name.AsSpan().StartsWith("trusted.overlay."u8));
        Assert.All(entries.Where(e => e.Type == System.Formats.Tar.TarEntryType.Directory), e => Assert.EndsWith("/", e.Name));
    }

    [Fact]
    public void SameDirectoryTwice_GivesTheSameDigests_AndClampingMakesTouchedFilesByteIdentical()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        SampleTrees.BuildFullTree(diff);
        var clamp = new LayerWriteOptions { ClampTimestamp = DateTimeOffset.FromUnixTimeSeconds(SampleTrees.BaseTime - 100) };

        var first = LayerHelper.WriteToFile(diff, dir.Combine("1"));
        var second = LayerHelper.WriteToFile(diff, dir.Combine("2"));
        Assert.Equal(first, second);
        var clampedBefore = LayerHelper.WriteToFile(diff, dir.Combine("3"), clamp);
        Assert.NotEqual(first.DiffId, clampedBefore.DiffId);

        // touching files (new mtimes, later than the clamp) must not change a clamped layer
        foreach (var file in Directory.EnumerateFiles(diff, "*", SearchOption.AllDirectories))
            if (!Libc.StatNoFollow(file).IsSymbolicLink) Libc.SetTimesNoFollow(file, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Libc.SetTimesNoFollow(diff, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var unclampedAfter = LayerHelper.WriteToFile(diff, dir.Combine("4"));
        var clampedAfter = LayerHelper.WriteToFile(diff, dir.Combine("5"), clamp);
        Assert.NotEqual(first.DiffId, unclampedAfter.DiffId);
        Assert.Equal(clampedBefore, clampedAfter);
        Assert.Equal(File.ReadAllBytes(dir.Combine("3")), File.ReadAllBytes(dir.Combine("5")));
        Assert.All(ReadEntries(dir.Combine("5")), e => Assert.True(e.ModificationTimeSeconds <= SampleTrees.BaseTime - 100));
    }

    [Fact]
    public void ClampTimestamp_KeepsOlderTimes()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        SampleTrees.File(Path.Join(diff, "old"), "o", 0x1A4, 0, 0, 1000);
        SampleTrees.File(Path.Join(diff, "new"), "n", 0x1A4, 0, 0, 2_000_000_000);
        string blob = dir.Combine("l");
        LayerHelper.WriteToFile(diff, blob, new LayerWriteOptions { ClampTimestamp = DateTimeOffset.FromUnixTimeSeconds(1_500_000_000) });
        var times = ReadEntries(blob).ToDictionary(e => e.Name, e => e.ModificationTimeSeconds);
        Assert.Equal(1000, times["old"]);
        Assert.Equal(1_500_000_000, times["new"]);
    }

    [Fact]
    public void EmptyDirectory_GivesAValidEmptyTar()
    {
        using var dir = new TempDirectory();
        string blob = dir.Combine("empty.tar");
        var result = LayerHelper.WriteToFile(dir.Sub("diff"), blob, new LayerWriteOptions { Compression = LayerCompression.None });
        Assert.Equal(0, result.EntryCount);
        Assert.Equal(1024, result.UncompressedSize);
        Assert.Equal(Digest.Of(new byte[1024]), result.DiffId);
        Assert.Empty(LayerHelper.ListWithGnuTar(blob));

        var gzipped = LayerHelper.WriteToFile(dir.Combine("diff"), dir.Combine("empty.tar.gz"));
        Assert.Equal(result.DiffId, gzipped.DiffId);
    }

    [Fact]
    public void OwnerOverride_ReplacesOwners_ByLayerPath()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        Directory.CreateDirectory(Path.Join(diff, "app"));
        SampleTrees.File(Path.Join(diff, "app", "run"), "r", 0x1ED, 1000, 1000, 1);
        SampleTrees.File(Path.Join(diff, "app", "keep"), "k", 0x1A4, 1000, 1000, 1);
        var seen = new List<string>();
        var options = new LayerWriteOptions
        {
            OwnerOverride = path =>
            {
                seen.Add(path);
                return path == "app/keep" ? null : (0, 0);
            },
        };
        string blob = dir.Combine("l");
        LayerHelper.WriteToFile(diff, blob, options);
        var owners = ReadEntries(blob).ToDictionary(e => e.Name, e => (e.Uid, e.Gid));
        Assert.Equal((0, 0), owners["app/run"]);
        Assert.Equal((1000, 1000), owners["app/keep"]);
        Assert.Equal(["app", "app/keep", "app/run"], seen);
    }

    [Fact]
    public void CompressionLevels_ChangeTheBlobButNotTheDiffId()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        SampleTrees.BuildFullTree(diff);
        // make the content compressible so levels differ measurably
        File.WriteAllText(Path.Join(diff, "text"), string.Concat(Enumerable.Range(0, 200_000).Select(i => $"line {i % 977} of text\n")));
        var gzip1 = LayerHelper.WriteToFile(diff, dir.Combine("g1"), new LayerWriteOptions { CompressionLevel = 1 });
        var gzip9 = LayerHelper.WriteToFile(diff, dir.Combine("g9"), new LayerWriteOptions { CompressionLevel = 9 });
        var zstd1 = LayerHelper.WriteToFile(diff, dir.Combine("z1"), new LayerWriteOptions { Compression = LayerCompression.Zstd, CompressionLevel = 1 });
        var zstd19 = LayerHelper.WriteToFile(diff, dir.Combine("z19"), new LayerWriteOptions { Compression = LayerCompression.Zstd, CompressionLevel = 19, CompressionWorkers = 2 });
        Assert.Single(new[] { gzip1, gzip9, zstd1, zstd19 }.Select(r => r.DiffId).Distinct());
        Assert.True(gzip9.BlobSize < gzip1.BlobSize);
        Assert.True(zstd19.BlobSize < zstd1.BlobSize);
        Assert.Equal(zstd19.DiffId.ToString(), ExternalTool.Sha256Of("zstd -dcq \"$1\"", dir.Combine("z19")));
    }

    [Fact]
    public void OverlayRedirects_AreRefused_WithAnExplanation()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        Libc.SetXattr(dir.Sub("diff/moved"), "trusted.overlay.redirect", "/old"u8);
        var error = Assert.Throws<NotSupportedException>(() => LayerHelper.WriteToFile(diff, dir.Combine("l")));
        Assert.Contains("redirect_dir=off", error.Message);
    }

    [Fact]
    public void MissingDirectory_IsAClearError()
    {
        using var dir = new TempDirectory();
        Assert.Throws<DirectoryNotFoundException>(() => LayerTarWriter.Write(dir.Combine("absent"), Stream.Null, LayerWriteOptions.Default));
    }

    [Fact]
    public void SocketsAreSkipped()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
            socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Join(diff, "sock")));
        File.WriteAllText(Path.Join(diff, "file"), "f");
        var result = LayerHelper.WriteToFile(diff, dir.Combine("l"));
        Assert.Equal(1, result.EntryCount);
    }

    internal static List<LayerTarEntry> ReadEntries(string blobPath)
    {
        using var file = File.OpenRead(blobPath);
        using var tar = LayerCompressionStreams.OpenDecompressor(file, long.MaxValue, out _);
        using var reader = new TarArchiveReader(tar);
        var entries = new List<LayerTarEntry>();
        while (reader.ReadNext() is { } entry) entries.Add(entry);
        return entries;
    }

    [Fact]
    public void DiffId_IsTheSha256OfTheUncompressedStream()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        File.WriteAllText(Path.Join(diff, "f"), "content");
        var output = new MemoryStream();
        var result = LayerTarWriter.Write(diff, output, new LayerWriteOptions { Compression = LayerCompression.Gzip });
        output.Position = 0;
        using var gunzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionMode.Decompress);
        var tar = new MemoryStream();
        gunzip.CopyTo(tar);
        Assert.Equal(Digest.FromHash(SHA256.HashData(tar.ToArray())), result.DiffId);
        Assert.Equal(Digest.FromHash(SHA256.HashData(output.ToArray())), result.BlobDigest);
    }
}
