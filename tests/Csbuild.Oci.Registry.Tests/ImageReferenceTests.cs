using Csbuild.Oci.Model;

namespace Csbuild.Oci.Registry.Tests;

public class ImageReferenceTests
{
    private const string Sha = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("alpine", "docker.io", "library/alpine", "latest", "docker.io/library/alpine:latest", "alpine:latest")]
    [InlineData("alpine:3.19", "docker.io", "library/alpine", "3.19", "docker.io/library/alpine:3.19", "alpine:3.19")]
    [InlineData("user/app:1", "docker.io", "user/app", "1", "docker.io/user/app:1", "user/app:1")]
    [InlineData("docker.io/library/alpine", "docker.io", "library/alpine", "latest", "docker.io/library/alpine:latest", "alpine:latest")]
    [InlineData("index.docker.io/library/alpine", "docker.io", "library/alpine", "latest", "docker.io/library/alpine:latest", "alpine:latest")]
    [InlineData("docker.io/library/a/b", "docker.io", "library/a/b", "latest", "docker.io/library/a/b:latest", "library/a/b:latest")]
    [InlineData("host:5000/a/b:tag", "host:5000", "a/b", "tag", "host:5000/a/b:tag", "host:5000/a/b:tag")]
    [InlineData("localhost/app", "localhost", "app", "latest", "localhost/app:latest", "localhost/app:latest")]
    [InlineData("localhost:5000/app:v2", "localhost:5000", "app", "v2", "localhost:5000/app:v2", "localhost:5000/app:v2")]
    [InlineData("127.0.0.1:5000/team/app", "127.0.0.1:5000", "team/app", "latest", "127.0.0.1:5000/team/app:latest", "127.0.0.1:5000/team/app:latest")]
    [InlineData("ghcr.io/org/my-app_x.y__z:Tag_1.0-rc", "ghcr.io", "org/my-app_x.y__z", "Tag_1.0-rc", "ghcr.io/org/my-app_x.y__z:Tag_1.0-rc", "ghcr.io/org/my-app_x.y__z:Tag_1.0-rc")]
    [InlineData("[::1]:5000/app", "[::1]:5000", "app", "latest", "[::1]:5000/app:latest", "[::1]:5000/app:latest")]
    [InlineData("Registry/app", "Registry", "app", "latest", "Registry/app:latest", "Registry/app:latest")]
    public void ParsesAndNormalisesLikeDocker(string input, string registry, string repository, string tag, string canonical, string familiar)
    {
        var reference = ImageReference.Parse(input);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Null(reference.Digest);
        Assert.Equal(canonical, reference.Canonical);
        Assert.Equal(canonical, reference.ToString());
        Assert.Equal(familiar, reference.Familiar);
        Assert.Equal(tag, reference.ManifestReference);
    }

    [Fact]
    public void DigestOnlyReferenceHasNoTagAndAddressesTheDigest()
    {
        var reference = ImageReference.Parse("alpine@" + Sha);
        Assert.Null(reference.Tag);
        Assert.Equal(Digest.Parse(Sha), reference.Digest);
        Assert.Equal(Sha, reference.ManifestReference);
        Assert.Equal("docker.io/library/alpine@" + Sha, reference.Canonical);
        Assert.Equal("alpine@" + Sha, reference.Familiar);
    }

    [Fact]
    public void TagAndDigestTogetherKeepBothAndPullByDigest()
    {
        var reference = ImageReference.Parse("host:5000/app:1.0@" + Sha);
        Assert.Equal("1.0", reference.Tag);
        Assert.Equal(Sha, reference.ManifestReference);
        Assert.Equal("host:5000/app:1.0@" + Sha, reference.Canonical);
    }

    [Fact]
    public void WithTagAndWithDigestDeriveReferences()
    {
        var reference = ImageReference.Parse("app:1");
        Assert.Equal("docker.io/library/app:2", reference.WithTag("2").Canonical);
        Assert.Equal("docker.io/library/app:1@" + Sha, reference.WithDigest(Digest.Parse(Sha)).Canonical);
        Assert.Throws<FormatException>(() => reference.WithTag("-bad"));
    }

    [Fact]
    public void BareHostWithPortIsReadAsRepositoryAndTag()
    {
        // As in Docker: without a slash, "localhost:5000" is the repository "localhost" with tag "5000".
        var reference = ImageReference.Parse("localhost:5000");
        Assert.Equal("docker.io", reference.Registry);
        Assert.Equal("library/localhost", reference.Repository);
        Assert.Equal("5000", reference.Tag);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData(" alpine", "whitespace")]
    [InlineData("Alpine", "must be lowercase")]
    [InlineData("docker.io/Library/alpine", "must be lowercase")]
    [InlineData("app:-tag", "invalid tag")]
    [InlineData("app:", "invalid tag")]
    [InlineData("app@sha256:abc", "invalid digest")]
    [InlineData("app@md5:0123456789abcdef0123456789abcdef", "invalid digest")]
    [InlineData("a//b", "empty path component")]
    [InlineData("host:5000/", "repository name is empty")]
    [InlineData("app-/x", "invalid repository path component 'app-'")]
    [InlineData("my_-app", "invalid repository path component")]
    [InlineData("-host.io/app", "invalid registry host '-host.io'")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "image ID")]
    public void RejectsInvalidReferencesWithClearErrors(string input, string expectedFragment)
    {
        var error = Assert.Throws<FormatException>(() => ImageReference.Parse(input));
        Assert.Contains(expectedFragment, error.Message);
        Assert.Contains($"'{input}'", error.Message);
        Assert.False(ImageReference.TryParse(input, out _));
    }

    [Fact]
    public void RejectsOverlongNames()
    {
        var name = "host.io/" + string.Join('/', Enumerable.Repeat(new string('a', 60), 5));
        var error = Assert.Throws<FormatException>(() => ImageReference.Parse(name));
        Assert.Contains("longer than 255", error.Message);
    }

    [Fact]
    public void RejectsOverlongTags()
    {
        Assert.True(ImageReference.TryParse("app:" + new string('t', 128), out _));
        Assert.False(ImageReference.TryParse("app:" + new string('t', 129), out _));
    }

    [Theory]
    [InlineData("alpine", "docker.io", "library/alpine", "alpine")]
    [InlineData("user/app", "docker.io", "user/app", "user/app")]
    [InlineData("127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", "127.0.0.1:5000/a/b")]
    public void RepositoryNamesParseTheSameWay(string input, string registry, string repository, string familiar)
    {
        var name = RepositoryName.Parse(input);
        Assert.Equal(new RepositoryName(registry, repository), name);
        Assert.Equal(familiar, name.Familiar);
        Assert.Equal(ImageReference.Parse(input).Name, name);
    }
}
