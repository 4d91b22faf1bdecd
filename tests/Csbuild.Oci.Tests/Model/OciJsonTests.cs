using System.Text;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Tests.Model;

public sealed class OciJsonTests
{
    [Fact]
    public void Manifest_IsCompact_WithMediaTypesWrittenAsGoWritesThem()
    {
        var manifest = new ImageManifest
        {
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Of("c").ToString(), Size = 1 },
            Layers = [new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Of("l").ToString(), Size = 2 }],
        };
        var json = Encoding.UTF8.GetString(OciJson.Serialize(manifest));
        Assert.StartsWith("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json",""", json);
        Assert.Contains("\"application/vnd.oci.image.layer.v1.tar+gzip\"", json);
        Assert.DoesNotContain("\\u002B", json);
        Assert.DoesNotContain("annotations", json); // nulls are left out
    }

    [Fact]
    public void Digest_ParsesOnlyWellFormedValues()
    {
        Assert.True(Digest.TryParse("sha256:" + new string('a', 64), out _));
        Assert.False(Digest.TryParse("sha256:" + new string('A', 64), out _));
        Assert.False(Digest.TryParse("sha256:abc", out _));
        Assert.False(Digest.TryParse("md5:" + new string('a', 32), out _));
        Assert.Throws<FormatException>(() => Digest.Parse("nope"));
    }

    [Fact]
    public void MalformedDocuments_GiveAClearError()
    {
        var error = Assert.Throws<InvalidDataException>(() => OciJson.DeserializeManifest("{\"layers\": 3}"u8));
        Assert.StartsWith("malformed image manifest", error.Message);
    }
}
