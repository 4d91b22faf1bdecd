using System.Formats.Tar;
using System.IO.Compression;
using Csbuild.Cli.Context;
using Csbuild.TestSupport;

namespace Csbuild.Cli.Tests;

public sealed class ContextAddressTests
{
    [Theory]
    [InlineData(".", "Directory")]
    [InlineData("some/dir", "Directory")]
    [InlineData("-", "Stdin")]
    [InlineData("https://github.com/org/repo.git", "Git")]
    [InlineData("https://github.com/org/repo.git#v1.2:docs", "Git")]
    [InlineData("git@github.com:org/repo.git", "Git")]
    [InlineData("git://example.com/repo", "Git")]
    [InlineData("github.com/org/repo", "Git")]
    [InlineData("file:///srv/repo.git#main", "Git")]
    [InlineData("https://example.com/context.tar.gz", "Url")]
    [InlineData("http://example.com/Dockerfile", "Url")]
    public void Classifies_the_context_argument_as_docker_build_does(string argument, string kind) =>
        Assert.Equal(kind, ContextAddress.Classify(argument).ToString());

    [Fact]
    public void Git_fragment_names_a_ref_and_a_subdirectory()
    {
        Assert.Equal(("https://h/r.git", "v1.2", "docs/site"), ContextAddress.ParseGit("https://h/r.git#v1.2:docs/site/"));
        Assert.Equal(("https://h/r.git", null, "app"), ContextAddress.ParseGit("https://h/r.git#:app"));
        Assert.Equal(("https://h/r.git", (string?)null, ""), ContextAddress.ParseGit("https://h/r.git"));
        Assert.Equal(("https://github.com/o/r", "main", ""), ContextAddress.ParseGit("github.com/o/r#main"));
        Assert.Contains("may not leave the repository", Assert.Throws<CliException>(() => ContextAddress.ParseGit("https://h/r.git#main:../x")).Message);
    }

    [Fact]
    public void Oci_layout_values_split_into_directory_tag_and_digest()
    {
        var digest = "sha256:" + new string('a', 64);
        Assert.Equal(("/srv/layout", "v1", null), OciLayoutImport.Parse("oci-layout:///srv/layout:v1") is var (d, t, g) ? (d, t, g?.ToString()) : default);
        var (dir, tag, parsed) = OciLayoutImport.Parse("oci-layout:///srv/lay:out/x@" + digest);
        Assert.Equal(("/srv/lay:out/x", (string?)null, digest), (dir, tag, parsed?.ToString()));
        Assert.Null(OciLayoutImport.Parse("oci-layout:///srv/layout").Tag);
        Assert.Throws<CliException>(() => OciLayoutImport.Parse("oci-layout://x@sha256:nothex"));
    }

    [Fact]
    public void Entitlements_are_validated_and_network_host_follows_the_network_flag()
    {
        Assert.Equal(["network.host", "security.insecure"], BuildInputs.Entitlements(["network.host,security.insecure"], null).Order());
        Assert.Equal(["network.host"], BuildInputs.Entitlements([], "host"));
        Assert.Empty(BuildInputs.Entitlements([], "none"));
        Assert.Contains("invalid --allow \"device\"", Assert.Throws<CliException>(() => BuildInputs.Entitlements(["device"], null)).Message);
    }

    [Fact]
    public void Tar_detection_sees_through_compression_and_rejects_plain_text()
    {
        using var dir = new TempDirectory();
        dir.Write("src/a.txt", "a");
        var tar = dir.Combine("ctx.tar");
        TarFile.CreateFromDirectory(dir.Combine("src"), tar, includeBaseDirectory: false);
        var gz = dir.Combine("ctx.tar.gz");
        using (var input = File.OpenRead(tar))
        using (var output = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
            input.CopyTo(output);
        var text = dir.Write("Dockerfile", "FROM scratch\n");
        Assert.True(TarContext.IsTar(tar));
        Assert.True(TarContext.IsTar(gz));
        Assert.False(TarContext.IsTar(text));

        TarContext.Extract(gz, dir.Combine("out"), "ctx.tar.gz");
        Assert.Equal("a", File.ReadAllText(dir.Combine("out", "a.txt")));
    }

    [Fact]
    public void A_tar_escaping_its_directory_is_refused()
    {
        using var dir = new TempDirectory();
        var evil = dir.Combine("evil.tar");
        using (var file = File.Create(evil))
        using (var writer = new TarWriter(file))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "../escaped.txt") { DataStream = new MemoryStream("x"u8.ToArray()) };
            writer.WriteEntry(entry);
        }
        Assert.Throws<CliException>(() => TarContext.Extract(evil, dir.Combine("out"), "evil.tar"));
        Assert.False(File.Exists(dir.Combine("escaped.txt")));
    }
}
