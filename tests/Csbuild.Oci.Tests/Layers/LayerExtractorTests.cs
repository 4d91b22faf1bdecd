using System.Formats.Tar;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Model;
using Csbuild.Oci.Native;
using Csbuild.Oci.Tests.Support;

namespace Csbuild.Oci.Tests.Layers;

public class LayerExtractorTests
{
    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    [InlineData(LayerCompression.None)]
    public void RoundTrip_RestoresContentModesOwnersXattrsLinksWhiteoutsAndOpaqueDirectories(LayerCompression compression)
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        SampleTrees.BuildFullTree(diff);
        string blob = dir.Combine("layer");
        var written = LayerHelper.WriteToFile(diff, blob, new LayerWriteOptions { Compression = compression });

        string target = dir.Combine("snapshot");
        var extracted = LayerHelper.ExtractFile(blob, target, new LayerExtractOptions { ExpectedDiffId = written.DiffId });

        Assert.Equal(written.DiffId, extracted.DiffId);
        Assert.Equal(written.UncompressedSize, extracted.UncompressedSize);
        Assert.Equal(written.BlobSize, extracted.CompressedSize);
        Assert.Equal(compression, extracted.Compression);
        Assert.Equal(written.EntryCount, extracted.EntryCount);
        Assert.True(extracted.OverlayFormat);
        TreeSnapshot.AssertEqual(TreeSnapshot.Capture(diff), TreeSnapshot.Capture(target));

        // and the snapshot archives to the very same layer
        var again = LayerHelper.WriteToFile(target, dir.Combine("again"), new LayerWriteOptions { Compression = compression });
        Assert.Equal(written, again);
    }

    [Fact]
    public void ExtractsGnuTarArchives_AndGnuTarAgreesOnTheContent()
    {
        using var dir = new TempDirectory();
        string source = dir.Sub("source");
        SampleTrees.BuildFullTree(source);
        Directory.Delete(Path.Join(source, "opaque"), recursive: true);
        File.Delete(Path.Join(source, "deleted")); // GNU tar would archive the whiteout as a device node
        SampleTrees.SetDirectoryTimes(source, SampleTrees.BaseTime);
        string archive = dir.Combine("gnu.tar.gz");
        ExternalTool.Run("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", source, "-czf", archive, ".");

        string target = dir.Combine("ours");
        var result = LayerHelper.ExtractFile(archive, target);
        Assert.Equal(ExternalTool.Sha256Of("gzip -dc \"$1\"", archive), result.DiffId.ToString());
        TreeSnapshot.AssertEqual(TreeSnapshot.Capture(source), TreeSnapshot.Capture(target));

        // our layer, unpacked by GNU tar, gives the same tree as well
        string ours = dir.Combine("ours.tar");
        LayerHelper.WriteToFile(source, ours, new LayerWriteOptions { Compression = LayerCompression.None });
        string byGnu = dir.Sub("by-gnu");
        ExternalTool.Run("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", byGnu, "-xpf", ours);
        TreeSnapshot.AssertEqual(TreeSnapshot.Capture(source), TreeSnapshot.Capture(byGnu));
    }

    [Fact]
    public void WrongDiffId_FailsAndLeavesNothingBehind()
    {
        using var dir = new TempDirectory();
        string diff = dir.Sub("diff");
        SampleTrees.BuildFullTree(diff);
        string blob = dir.Combine("layer");
        LayerHelper.WriteToFile(diff, blob);
        string target = dir.Combine("snapshot");
        var wrong = Digest.Of("something else");

        var error = Assert.Throws<InvalidDataException>(() => LayerHelper.ExtractFile(blob, target, new LayerExtractOptions { ExpectedDiffId = wrong }));
        Assert.Contains("diff_id mismatch", error.Message);
        AssertNothingLeft(dir.Path);
    }

    [Fact]
    public void DuplicateEntries_LastOneWins()
    {
        using var dir = new TempDirectory();
        var tar = HostileTar.Build(w =>
        {
            HostileTar.File(w, "a", "first");
            HostileTar.File(w, "a", "second");
            HostileTar.File(w, "d", "file becomes directory");
            HostileTar.Directory(w, "d/");
            HostileTar.File(w, "d/inner", "x");
            HostileTar.Directory(w, "e/");
            HostileTar.File(w, "e/inner", "gone with e");
            HostileTar.Symlink(w, "e", "/etc");
            HostileTar.Symlink(w, "l", "/etc/passwd");
            HostileTar.File(w, "l", "replaces the symlink, does not write through it");
        });
        string target = dir.Combine("t");
        LayerHelper.ExtractBytes(tar, target);
        Assert.Equal("second", File.ReadAllText(Path.Join(target, "a")));
        Assert.Equal("x", File.ReadAllText(Path.Join(target, "d", "inner")));
        Assert.Equal("/etc", new FileInfo(Path.Join(target, "e")).LinkTarget);
        Assert.False(Libc.StatNoFollow(Path.Join(target, "l")).IsSymbolicLink);
        Assert.NotEqual("replaces the symlink, does not write through it", File.ReadAllText("/etc/passwd"));
    }

    [Fact]
    public void Whiteouts_InTheSameLayerAsTheirName_KeepTheLayersContent_AndANewDirectoryOverADeletedOneIsOpaque()
    {
        using var dir = new TempDirectory();
        var tar = HostileTar.Build(w =>
        {
            HostileTar.File(w, "kept", "present in this layer");
            HostileTar.File(w, ".wh.kept", "");
            HostileTar.File(w, ".wh.replaced", "");
            HostileTar.File(w, "replaced", "re-added after the whiteout");
            HostileTar.File(w, ".wh.dir", "");
            HostileTar.File(w, "dir/new", "content of a new dir");
            HostileTar.File(w, "sub/.wh.gone", "");
        });
        string target = dir.Combine("t");
        LayerHelper.ExtractBytes(tar, target);
        Assert.Equal("present in this layer", File.ReadAllText(Path.Join(target, "kept")));
        Assert.Equal("re-added after the whiteout", File.ReadAllText(Path.Join(target, "replaced")));
        Assert.Equal("y"u8.ToArray(), Libc.GetXattr(Path.Join(target, "dir"), Whiteouts.OverlayOpaqueXattr));
        Assert.True(Libc.StatNoFollow(Path.Join(target, "sub", "gone")).IsOverlayWhiteout);
        Assert.False(File.Exists(Path.Join(target, "sub", ".wh.gone")));
    }

    [Fact]
    public void OpaqueRoot_SurvivesExtractionAndArchiving_InBothFormats()
    {
        using var dir = new TempDirectory();
        var tar = HostileTar.Build(w =>
        {
            HostileTar.File(w, ".wh..wh..opq", "");
            HostileTar.File(w, "only", "everything else of the lower layers is hidden");
        });
        string overlay = dir.Combine("overlay"), oci = dir.Combine("oci");
        var original = LayerHelper.ExtractBytes(tar, overlay);
        LayerHelper.ExtractBytes(tar, oci, new LayerExtractOptions { Privileged = false });
        Assert.Equal("y"u8.ToArray(), Libc.GetXattr(overlay, Whiteouts.OverlayOpaqueXattr));
        Assert.True(File.Exists(Path.Join(oci, Whiteouts.OpaqueMarker)));

        Libc.SetTimesNoFollow(overlay, 1_650_000_000);
        Libc.SetTimesNoFollow(oci, 1_650_000_000);
        var fromOverlay = LayerHelper.WriteToFile(overlay, dir.Combine("a.tar"), new LayerWriteOptions { Compression = LayerCompression.None });
        var fromOci = LayerHelper.WriteToFile(oci, dir.Combine("b.tar"), new LayerWriteOptions { Compression = LayerCompression.None });
        Assert.Equal(fromOverlay.DiffId, fromOci.DiffId);
        Assert.Equal([".wh..wh..opq", "only"], LayerHelper.ListWithGnuTar(dir.Combine("a.tar")));
        Assert.Equal(2, original.EntryCount);
    }

    [Fact]
    public void DeviceNodes_NeedAllowDevices()
    {
        using var dir = new TempDirectory();
        var tar = HostileTar.Build(w => HostileTar.Device(w, "dev/null", 1, 3));
        var error = Assert.Throws<InvalidDataException>(() => LayerHelper.ExtractBytes(tar, dir.Combine("refused")));
        Assert.Contains("AllowDevices", error.Message);
        AssertNothingLeft(dir.Path);

        string target = dir.Combine("allowed");
        LayerHelper.ExtractBytes(tar, target, new LayerExtractOptions { AllowDevices = true });
        var status = Libc.StatNoFollow(Path.Join(target, "dev", "null"));
        Assert.True(status.IsCharacterDevice);
        Assert.Equal((1u, 3u), (status.RdevMajor, status.RdevMinor));
    }

    [Fact]
    public void TargetMustBeEmpty_ButAnEmptyExistingDirectoryIsReplaced()
    {
        using var dir = new TempDirectory();
        var tar = HostileTar.Build(w => HostileTar.File(w, "f", "x"));
        string full = dir.Sub("full");
        File.WriteAllText(Path.Join(full, "existing"), "x");
        Assert.Throws<IOException>(() => LayerHelper.ExtractBytes(tar, full));

        string empty = dir.Sub("empty");
        LayerHelper.ExtractBytes(tar, empty);
        Assert.Equal("x", File.ReadAllText(Path.Join(empty, "f")));
        AssertNothingLeft(dir.Path, "empty", "full");
    }

    [Fact]
    public void RootEntry_SetsTheSnapshotRootsMetadata()
    {
        using var dir = new TempDirectory();
        var tar = HostileTar.Build(w =>
        {
            var root = new PaxTarEntry(TarEntryType.Directory, "./") { Mode = (UnixFileMode)0x1C0, ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1234), Uid = 7 };
            w.WriteEntry(root);
            HostileTar.File(w, "./f", "x");
        });
        string target = dir.Combine("t");
        LayerHelper.ExtractBytes(tar, target);
        var status = Libc.StatNoFollow(target);
        Assert.Equal(0x1C0u, status.Permissions);
        Assert.Equal(1234, status.MtimeSeconds);
        Assert.Equal(7u, status.Uid);
    }

    [Fact]
    public void EntryLimit_AndSizeLimit_AreEnforced()
    {
        using var dir = new TempDirectory();
        var tar = HostileTar.Build(w =>
        {
            for (int i = 0; i < 20; i++) HostileTar.File(w, $"f{i}", "x");
            HostileTar.File(w, "big", new string('z', 3 * 1024 * 1024));
        });
        var entries = Assert.Throws<InvalidDataException>(() => LayerHelper.ExtractBytes(tar, dir.Combine("a"), new LayerExtractOptions { MaxEntries = 10 }));
        Assert.Contains("more than 10 entries", entries.Message);

        var gz = new MemoryStream();
        using (var compressor = LayerCompressionStreams.CreateCompressor(gz, LayerCompression.Gzip, leaveOpen: true)) compressor.Write(tar);
        Assert.True(gz.Length < 100_000);
        var bomb = Assert.Throws<DecompressionLimitExceededException>(() =>
            LayerHelper.ExtractBytes(gz.ToArray(), dir.Combine("b"), new LayerExtractOptions { MaxUncompressedBytes = 1024 * 1024 }));
        Assert.Equal(1024 * 1024, bomb.Limit);
        AssertNothingLeft(dir.Path);
    }

    /// <summary>Exactly the listed names (besides the tests' inputs) exist in <paramref name="parent"/>: no temporary directories, no other output.</summary>
    internal static void AssertNothingLeft(string parent, params string[] allowed)
    {
        var names = Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName)
            .Where(n => n is not ("diff" or "layer" or "source")).ToList();
        Assert.Equal(allowed.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }
}
