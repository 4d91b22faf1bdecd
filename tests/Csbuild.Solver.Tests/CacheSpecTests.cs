using Csbuild.Oci.Compression;
using Csbuild.Solver.RemoteCache;

namespace Csbuild.Solver.Tests;

public sealed class CacheSpecTests
{
    [Fact]
    public void CacheTo_Registry_WithEveryOption()
    {
        var spec = CacheExportSpec.Parse("type=registry,ref=reg.example/app:cache,mode=max,compression=zstd,compression-level=3,cache-mounts=true,ignore-error=true");
        Assert.Equal(CacheStoreKind.Registry, spec.Kind);
        Assert.Equal("reg.example/app:cache", spec.Location);
        Assert.Equal(CacheExportMode.Max, spec.Mode);
        Assert.Equal(LayerCompression.Zstd, spec.Compression);
        Assert.Equal(3, spec.CompressionLevel);
        Assert.True(spec.CacheMounts);
        Assert.True(spec.IgnoreError);
    }

    [Fact]
    public void CacheTo_Defaults_MinMode_AndKeepsLayersAsStored()
    {
        var spec = CacheExportSpec.Parse("type=local,dest=/ci/cache");
        Assert.Equal((CacheStoreKind.Local, "/ci/cache", "latest"), (spec.Kind, spec.Location, spec.Tag));
        Assert.Equal(CacheExportMode.Min, spec.Mode);
        Assert.Null(spec.Compression);
        Assert.False(spec.CacheMounts);
        Assert.Equal(CacheStoreKind.Registry, CacheExportSpec.Parse("reg.example/app:cache").Kind);
        Assert.Equal(CacheStoreKind.Inline, CacheExportSpec.Parse("type=inline").Kind);
    }

    [Fact]
    public void CacheFrom_Forms()
    {
        Assert.Equal(new CacheImportSpec(CacheStoreKind.Registry, "reg.example/app:cache", "latest"), CacheImportSpec.Parse("reg.example/app:cache"));
        Assert.Equal(new CacheImportSpec(CacheStoreKind.Registry, "reg.example/app:cache", "latest"), CacheImportSpec.Parse("type=registry,ref=reg.example/app:cache"));
        Assert.Equal(new CacheImportSpec(CacheStoreKind.Local, "/ci/cache", "main"), CacheImportSpec.Parse("type=local,src=/ci/cache,tag=main"));
    }

    [Theory]
    [InlineData("type=registry", "ref= is required")]
    [InlineData("type=local", "dest= is required")]
    [InlineData("type=registry,ref=r,mode=all", "mode=all (min or max)")]
    [InlineData("type=inline,mode=max", "mode=max needs type=registry or type=local")]
    [InlineData("type=inline,cache-mounts=true", "type=inline takes neither")]
    [InlineData("type=gha", "type=gha is not supported")]
    [InlineData("type=registry,ref=r,compression=brotli", "unknown compression 'brotli'")]
    [InlineData("type=registry,ref=r,colour=blue", "unknown option(s) colour")]
    [InlineData("type=registry,ref=r,compression-level=3", "compression-level needs")]
    [InlineData("mode=max", "type is required")]
    public void CacheTo_BadInput_IsOneClearLine(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => CacheExportSpec.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("invalid --cache-to '", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("type=local", "src= is required")]
    [InlineData("type=inline", "type=inline is for --cache-to")]
    [InlineData("type=s3,bucket=b", "type=s3 is not supported")]
    public void CacheFrom_BadInput_IsOneClearLine(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => CacheImportSpec.Parse(text));
        Assert.Contains(expected, e.Message);
    }
}
