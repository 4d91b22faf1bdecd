using Csbuild.Oci.Compression;
using Csbuild.Solver.Export;

namespace Csbuild.Solver.Tests;

public sealed class OutputSpecTests
{
    [Theory]
    [InlineData("type=image", null)]
    [InlineData("type=image,name=app:1", null)]
    [InlineData("type=image,push=true", LayerCompression.Gzip)]
    [InlineData("type=registry", LayerCompression.Gzip)]
    [InlineData("type=oci,dest=out.tar", LayerCompression.Gzip)]
    [InlineData("type=docker,dest=out.tar", LayerCompression.Gzip)]
    [InlineData("type=image,force-compression=true", LayerCompression.Gzip)]
    [InlineData("type=image,compression=zstd", LayerCompression.Zstd)]
    [InlineData("type=image,compression=uncompressed", LayerCompression.None)]
    [InlineData("type=registry,compression=zstd", LayerCompression.Zstd)]
    [InlineData("type=oci,dest=out.tar,compression=uncompressed", LayerCompression.None)]
    public void TheLocalStoreKeepsLayersAsStored_AndWhatLeavesTheMachineIsCompressed(string text, LayerCompression? expected)
    {
        var spec = OutputSpec.Parse(text);
        Assert.Equal(expected, spec.ExportOptions.Compression);
    }

    [Fact]
    public void AnInlineCache_NamesPushedLayers_SoItImpliesCompression()
    {
        var spec = OutputSpec.Parse("type=image");
        Assert.Null(spec.ExportOptions.Compression);
        var inline = spec with { Image = spec.Image with { InlineCache = true } };
        Assert.Equal(LayerCompression.Gzip, inline.ExportOptions.Compression);
    }

    [Fact]
    public void CompressionLevel_IsCheckedAgainstTheCompressionItGoesWith()
    {
        Assert.Equal(9, OutputSpec.Parse("type=registry,compression-level=9").Image.CompressionLevel);
        Assert.Equal(19, OutputSpec.Parse("type=registry,compression=zstd,compression-level=19").Image.CompressionLevel);
        Assert.Contains("gzip compression-level must be 0..9", Assert.Throws<FormatException>(() => OutputSpec.Parse("type=registry,compression-level=12")).Message);
        Assert.Contains("uncompressed layers take no compression-level",
            Assert.Throws<FormatException>(() => OutputSpec.Parse("type=image,compression=uncompressed,compression-level=1")).Message);
        Assert.Contains("unknown compression 'lz4'", Assert.Throws<FormatException>(() => OutputSpec.Parse("type=image,compression=lz4")).Message);
    }

    [Fact]
    public void FileOutputs_TakeNoCompressionOptions()
    {
        Assert.Contains("compression options do not apply",
            Assert.Throws<FormatException>(() => OutputSpec.Parse("type=local,dest=out,compression=zstd")).Message);
        Assert.Equal(OutputKind.Local, OutputSpec.Parse("out").Kind);
        Assert.Equal((OutputKind.Tar, "-"), (OutputSpec.Parse("-").Kind, OutputSpec.Parse("-").Destination));
    }
}
