using System.Formats.Tar;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Native;
using Csbuild.Oci.Tests.Support;

namespace Csbuild.Oci.Tests.Layers;

/// <summary>
/// Layers built to attack the extractor (which runs as root): every one must be refused or contained, with
/// nothing written outside the target and no partial target left behind.
/// </summary>
public sealed class HostileLayerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _outside;
    private readonly string _target;

    public HostileLayerTests()
    {
        RootRequirement.Ensure();
        _outside = _dir.Sub("outside");
        File.WriteAllText(Path.Join(_outside, "victim"), "original");
        _target = _dir.Combine("target");
    }

    public void Dispose() => _dir.Dispose();

    private void AssertOutsideUntouched()
    {
        Assert.Equal(["victim"], Directory.EnumerateFileSystemEntries(_outside).Select(Path.GetFileName));
        Assert.Equal("original", File.ReadAllText(Path.Join(_outside, "victim")));
        Assert.Equal(1u, Libc.StatNoFollow(Path.Join(_outside, "victim")).LinkCount);
    }

    private void AssertRefused(byte[] tar, string expectedMessagePart)
    {
        var error = Assert.Throws<InvalidDataException>(() => LayerHelper.ExtractBytes(tar, _target));
        Assert.Contains(expectedMessagePart, error.Message);
        AssertOutsideUntouched();
        LayerExtractorTests.AssertNothingLeft(_dir.Path, "outside");
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("./../outside/victim")]
    public void DotDotEscapes_AreRefused(string name)
    {
        AssertRefused(HostileTar.Build(w => HostileTar.File(w, name, "pwned")), "escapes the extraction root");
        Assert.False(File.Exists(_dir.Combine("escape")));
    }

    [Fact]
    public void DotDotThatStaysInside_IsResolvedLexically()
    {
        LayerHelper.ExtractBytes(HostileTar.Build(w => HostileTar.File(w, "a/b/../c", "ok")), _target);
        Assert.Equal("ok", File.ReadAllText(Path.Join(_target, "a", "c")));
    }

    [Fact]
    public void AbsolutePaths_AreMadeRelativeToTheTarget()
    {
        string absolute = Path.Join(_outside, "victim");
        LayerHelper.ExtractBytes(HostileTar.Build(w => HostileTar.File(w, absolute, "contained")), _target);
        Assert.Equal("contained", File.ReadAllText(_target + absolute));
        AssertOutsideUntouched();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WritingThroughAPlantedSymlink_IsRefused(bool absoluteLink)
    {
        string linkTarget = absoluteLink ? _outside : "../outside";
        AssertRefused(HostileTar.Build(w =>
        {
            HostileTar.Symlink(w, "evil", linkTarget);
            HostileTar.File(w, "evil/victim", "pwned");
        }), "which is a symlink in this layer");
    }

    [Fact]
    public void WritingThroughANestedPlantedSymlink_IsRefused()
    {
        AssertRefused(HostileTar.Build(w =>
        {
            HostileTar.Directory(w, "a/");
            HostileTar.Symlink(w, "a/b", _outside);
            HostileTar.Directory(w, "a/b/c/");
        }), "would be written through 'a/b'");
    }

    [Fact]
    public void ASymlinkLaterReplacedByADirectory_IsReplacedNotFollowed()
    {
        LayerHelper.ExtractBytes(HostileTar.Build(w =>
        {
            HostileTar.Symlink(w, "d", _outside);
            HostileTar.Directory(w, "d/");
            HostileTar.File(w, "d/victim", "inside");
        }), _target);
        Assert.Equal("inside", File.ReadAllText(Path.Join(_target, "d", "victim")));
        AssertOutsideUntouched();
    }

    [Fact]
    public void ADirectoryLaterReplacedByASymlink_CannotBeWrittenThrough()
    {
        AssertRefused(HostileTar.Build(w =>
        {
            HostileTar.Directory(w, "d/");
            HostileTar.File(w, "d/first", "fine");
            HostileTar.Symlink(w, "d", _outside);
            HostileTar.File(w, "d/victim", "pwned");
        }), "which is a symlink in this layer");
    }

    [Fact]
    public void HardlinkToOutside_IsRefused()
    {
        AssertRefused(HostileTar.Build(w => HostileTar.HardLink(w, "link", "../outside/victim")), "escapes the extraction root");
    }

    [Fact]
    public void HardlinkToAnAbsolutePath_OnlyLooksInsideTheLayer()
    {
        AssertRefused(HostileTar.Build(w => HostileTar.HardLink(w, "link", Path.Join(_outside, "victim"))), "not an earlier entry of this layer");
    }

    [Fact]
    public void HardlinkThroughAPlantedSymlink_IsRefused()
    {
        AssertRefused(HostileTar.Build(w =>
        {
            HostileTar.Symlink(w, "evil", _outside);
            HostileTar.HardLink(w, "link", "evil/victim");
        }), "reached through a symlink");
    }

    [Fact]
    public void HardlinkToAPlantedSymlink_LinksTheSymlinkItself_AndLaterWritesReplaceIt()
    {
        LayerHelper.ExtractBytes(HostileTar.Build(w =>
        {
            HostileTar.Symlink(w, "s", Path.Join(_outside, "victim"));
            HostileTar.HardLink(w, "h", "s");
            HostileTar.File(w, "h", "would overwrite the victim if followed");
        }), _target);
        Assert.True(Libc.StatNoFollow(Path.Join(_target, "s")).IsSymbolicLink);
        Assert.Equal("would overwrite the victim if followed", File.ReadAllText(Path.Join(_target, "h")));
        AssertOutsideUntouched();
    }

    [Fact]
    public void HardlinkToADirectory_IsRefused()
    {
        AssertRefused(HostileTar.Build(w =>
        {
            HostileTar.Directory(w, "d/");
            HostileTar.HardLink(w, "h", "d");
        }), "points to the directory");
    }

    [Theory]
    [InlineData("../.wh.victim")]
    [InlineData(".wh..")]
    [InlineData(".wh.x/file")]
    public void MalformedWhiteouts_AreRefused(string name)
    {
        var error = Assert.Throws<InvalidDataException>(() => LayerHelper.ExtractBytes(HostileTar.Build(w => HostileTar.File(w, name, "")), _target));
        Assert.Matches("escapes|whiteout", error.Message);
        AssertOutsideUntouched();
        LayerExtractorTests.AssertNothingLeft(_dir.Path, "outside");
    }

    [Theory]
    [InlineData(LayerCompression.None)]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    public void TruncatedArchives_AreInvalidData_AndLeaveNothing(LayerCompression compression)
    {
        var tar = HostileTar.Build(w =>
        {
            for (int i = 0; i < 50; i++) HostileTar.File(w, $"dir/file{i}", new string((char)('a' + i % 26), 10_000 + i));
        });
        var blob = new MemoryStream();
        using (var compressor = LayerCompressionStreams.CreateCompressor(blob, compression, leaveOpen: true)) compressor.Write(tar);
        foreach (double fraction in new[] { 0.3, 0.6, 0.97 })
        {
            var cut = blob.ToArray()[..(int)(blob.Length * fraction)];
            var error = Assert.Throws<InvalidDataException>(() => LayerHelper.ExtractBytes(cut, _target));
            Assert.Contains("truncated", error.Message);
            LayerExtractorTests.AssertNothingLeft(_dir.Path, "outside");
        }
    }

    [Fact]
    public void NotATar_IsInvalidData()
    {
        var error = Assert.Throws<InvalidDataException>(() => LayerHelper.ExtractBytes(new byte[] { 1, 2, 3 }.Concat(new byte[2000]).ToArray(), _target));
        Assert.Contains("not a tar archive", error.Message);
        LayerExtractorTests.AssertNothingLeft(_dir.Path, "outside");
    }

    [Fact]
    public void OverlayXattrsInALayer_AreNotApplied()
    {
        LayerHelper.ExtractBytes(HostileTar.Build(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "d/", new Dictionary<string, string>
            {
                ["SCHILY.xattr.trusted.overlay.redirect"] = "/etc",
                ["SCHILY.xattr.trusted.overlay.opaque"] = "y",
                ["SCHILY.xattr.user.kept"] = "1",
            }));
        }), _target);
        Assert.Equal(["user.kept"], Libc.ListXattrNames(Path.Join(_target, "d")));
    }

    /// <summary>Random corruption of a valid layer: anything may be refused, but only with the documented errors, and never outside the target.</summary>
    [Fact]
    public void RandomlyCorruptedLayers_FailCleanlyOrStayContained()
    {
        var tar = HostileTar.Build(w =>
        {
            HostileTar.Directory(w, "d/");
            HostileTar.File(w, "d/a", "aaaa");
            HostileTar.Symlink(w, "d/s", _outside);
            HostileTar.HardLink(w, "d/h", "d/a");
            HostileTar.File(w, "d/.wh.x", "");
            HostileTar.File(w, ".wh..wh..opq", "");
            HostileTar.File(w, "e/long/" + new string('n', 150), "long");
        });
        var random = new Random(1234);
        for (int round = 0; round < 300; round++)
        {
            var mutated = tar.ToArray();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            string target = _dir.Combine($"fuzz{round}");
            try
            {
                LayerHelper.ExtractBytes(mutated, target);
                Directory.Delete(target, recursive: true);
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
            {
                Assert.False(Directory.Exists(target));
            }
            AssertOutsideUntouched();
        }
        LayerExtractorTests.AssertNothingLeft(_dir.Path, "outside");
    }
}
