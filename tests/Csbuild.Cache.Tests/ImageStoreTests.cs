using System.Text.Json.Nodes;
using Csbuild.Cache;
using Csbuild.Cache.Images;
using Csbuild.Oci.Model;
using Csbuild.TestSupport;

namespace Csbuild.Cache.Tests;

public sealed class ImageStoreTests
{
    [Theory]
    [InlineData("app", "app:latest")]
    [InlineData("app:1", "app:1")]
    [InlineData("docker.io/library/alpine:3.20", "alpine:3.20")]
    [InlineData("docker.io/someone/tool", "someone/tool:latest")]
    [InlineData("localhost:5000/x/y", "localhost:5000/x/y:latest")]
    [InlineData("localhost:5000/x/y:dev", "localhost:5000/x/y:dev")]
    public void Names_AreKeptInFamiliarFormWithATag(string given, string stored) => Assert.Equal(stored, ImageName.Normalize(given));

    [Theory]
    [InlineData("App:1")]
    [InlineData("a b")]
    [InlineData("")]
    public void InvalidNames_AreRefused(string name) => Assert.Throws<FormatException>(() => ImageName.Normalize(name));

    [Fact]
    public void Tag_WritesAnOciIndex_WithRefNameAnnotations()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var manifest = new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Of("m").ToString(), Size = 1 };
        root.Images.Tag("app:1", manifest);
        root.Images.Tag("docker.io/library/app:2", manifest);

        var layout = JsonNode.Parse(File.ReadAllText(dir.Combine("root", "oci-layout")))!;
        Assert.Equal("1.0.0", layout["imageLayoutVersion"]!.GetValue<string>());
        var index = JsonNode.Parse(File.ReadAllText(dir.Combine("root", "index.json")))!;
        var names = index["manifests"]!.AsArray().Select(m => m!["annotations"]!["org.opencontainers.image.ref.name"]!.GetValue<string>());
        Assert.Equal(new[] { "app:1", "app:2" }, names);

        Assert.True(root.Images.Remove("app:1"));
        Assert.False(root.Images.Remove("app:1"));
        Assert.Equal("app:2", Assert.Single(root.Images.List()).Name);
    }
}
