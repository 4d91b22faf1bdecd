using System.Text;
using System.Text.Json.Nodes;
using Csbuild.Cli.Config;
using Csbuild.Oci.Registry.Credentials;
using Csbuild.TestSupport;

namespace Csbuild.Cli.Tests;

public sealed class ConfigDockerAuthFileTests
{
    [Fact]
    public async Task Store_WritesDockersAuthsEntry_KeepsOtherKeys_AndTheCredentialProviderReadsIt()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("docker/config.json", """{"credHelpers": {"gcr.io": "gcloud"}, "auths": {"other.example": {"auth": "eDp5"}}, "psFormat": "x"}""");
        var file = new DockerAuthFile(path);

        file.Store("localhost:5000", "alice", "s3cret:with:colons");

        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret:with:colons")), json["auths"]!["localhost:5000"]!["auth"]!.GetValue<string>());
        Assert.Equal("eDp5", json["auths"]!["other.example"]!["auth"]!.GetValue<string>());
        Assert.Equal("x", json["psFormat"]!.GetValue<string>());
        Assert.Equal("gcloud", json["credHelpers"]!["gcr.io"]!.GetValue<string>());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        var credential = await new DockerConfigCredentialProvider(path).GetCredentialAsync("localhost:5000", default);
        Assert.Equal("alice", credential!.Username);
        Assert.Equal("s3cret:with:colons", credential.Password);
        Assert.Empty(Directory.GetFiles(dir.Combine("docker"), "*.tmp"));
    }

    [Fact]
    public void DockerHub_IsStoredUnderItsHistoricalKey_AndAnyOfItsNamesRemovesIt()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("new/config.json");
        var file = new DockerAuthFile(path);

        file.Store("docker.io", "bob", "pw");
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(path))!["auths"]!["https://index.docker.io/v1/"]);

        file.Store("registry-1.docker.io", "bob", "pw2"); // replaces, does not add a second entry
        Assert.Single(JsonNode.Parse(File.ReadAllText(path))!["auths"]!.AsObject());

        Assert.True(file.Remove("index.docker.io"));
        Assert.Empty(JsonNode.Parse(File.ReadAllText(path))!["auths"]!.AsObject());
        Assert.False(file.Remove("docker.io"));
    }

    [Fact]
    public void Remove_WithoutAFile_IsNotAnError_AndHelpersAreReported()
    {
        using var dir = new TempDirectory();
        Assert.False(new DockerAuthFile(dir.Combine("none.json")).Remove("localhost:5000"));

        var withStore = new DockerAuthFile(dir.Write("a.json", """{"credsStore": "pass", "credHelpers": {"localhost:5000": "secretservice"}}"""));
        Assert.Equal("secretservice", withStore.HelperFor("localhost:5000"));
        Assert.Equal("pass", withStore.HelperFor("quay.io"));
        Assert.Null(new DockerAuthFile(dir.Write("b.json", "{}")).HelperFor("quay.io"));

        Assert.Throws<InvalidDataException>(() => new DockerAuthFile(dir.Write("bad.json", "{not json")).Store("x.io", "u", "p"));
    }
}
