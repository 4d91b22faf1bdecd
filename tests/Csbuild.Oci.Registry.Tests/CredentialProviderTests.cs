using System.Text;
using Csbuild.Oci.Registry.Credentials;

namespace Csbuild.Oci.Registry.Tests;

/// <summary>config.json parsing and credential helpers. Helper tests change PATH, so they all live in this one class (run serially).</summary>
public sealed class CredentialProviderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("csbuild-creds-");
    private readonly string? _originalPath = Environment.GetEnvironmentVariable("PATH");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("PATH", _originalPath);
        _dir.Delete(recursive: true);
    }

    private string WriteConfig(string json)
    {
        var path = Path.Combine(_dir.FullName, "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary><c>{"auths":{key:{"auth":base64(user:password)}…}}</c>, as <c>docker login</c> writes it.</summary>
    internal static string AuthsJson(params (string Key, string UserColonPassword)[] entries) =>
        "{\"auths\":{" + string.Join(',', entries.Select(e => $"\"{e.Key}\":{{\"auth\":\"{Base64(e.UserColonPassword)}\"}}")) + "}}";

    /// <summary>Puts a fake <c>docker-credential-test</c> on PATH that knows one server and logs what it was asked.</summary>
    private string InstallTestHelper()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_dir.FullName, "bin"));
        var log = Path.Combine(_dir.FullName, "helper.log");
        var script = Path.Combine(bin.FullName, "docker-credential-test");
        File.WriteAllText(script, $$"""
            #!/bin/sh
            [ "$1" = "get" ] || { echo "unsupported action $1" >&2; exit 2; }
            read -r server
            echo "$server" >> '{{log}}'
            case "$server" in
              reg.example:5000) echo '{"ServerURL":"reg.example:5000","Username":"helper-user","Secret":"helper-secret"}' ;;
              https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"refresh-token"}' ;;
              broken.example) echo 'the keychain is locked' >&2; exit 3 ;;
              *) echo 'credentials not found in native keychain'; exit 1 ;;
            esac
            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable("PATH", bin.FullName + ":" + _originalPath);
        return log;
    }

    [Fact]
    public async Task DecodesBase64AuthEntries()
    {
        var provider = new DockerConfigCredentialProvider(WriteConfig(AuthsJson(("reg.example:5000", "bob:pa:ss"))));
        var credential = await provider.GetCredentialAsync("reg.example:5000", default);
        Assert.Equal("bob", credential!.Username);
        Assert.Equal("pa:ss", credential.Password); // only the first colon separates
        Assert.Null(await provider.GetCredentialAsync("other.example", default));
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("https://index.docker.io/v1/", "index.docker.io")]
    [InlineData("docker.io", "docker.io")]
    [InlineData("http://reg.example:5000", "reg.example:5000")]
    [InlineData("https://reg.example:5000/v2/", "reg.example:5000")]
    [InlineData("REG.example", "reg.example")]
    public async Task MatchesConfigKeysTheWayDockerWritesThem(string key, string registry)
    {
        var provider = new DockerConfigCredentialProvider(WriteConfig(AuthsJson((key, "u:p"))));
        Assert.Equal("u", (await provider.GetCredentialAsync(registry, default))?.Username);
    }

    [Fact]
    public async Task ReadsUsernamePasswordAndIdentityTokenFields()
    {
        var provider = new DockerConfigCredentialProvider(WriteConfig("""
            {
              "auths": {
                "plain.example": { "username": "carol", "password": "pw" },
                "oauth.example": { "identitytoken": "refresh-123" },
                "empty.example": {}
              }
            }
            """));
        var plain = await provider.GetCredentialAsync("plain.example", default);
        Assert.Equal(("carol", "pw"), (plain!.Username, plain.Password));
        Assert.Equal("refresh-123", (await provider.GetCredentialAsync("oauth.example", default))!.IdentityToken);
        Assert.Null(await provider.GetCredentialAsync("empty.example", default));
    }

    [Fact]
    public async Task MissingConfigFileMeansNoCredentials()
    {
        var provider = new DockerConfigCredentialProvider(Path.Combine(_dir.FullName, "absent.json"));
        Assert.Null(await provider.GetCredentialAsync("docker.io", default));
    }

    [Fact]
    public async Task MalformedConfigIsAnErrorNamingTheFile()
    {
        var path = WriteConfig("{ not json");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new DockerConfigCredentialProvider(path).GetCredentialAsync("x", default).AsTask());
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public async Task CredHelpersRunTheNamedProgramFromPath()
    {
        var log = InstallTestHelper();
        var provider = new DockerConfigCredentialProvider(WriteConfig("""{"credHelpers":{"reg.example:5000":"test"}}"""));

        var credential = await provider.GetCredentialAsync("reg.example:5000", default);
        Assert.Equal(("helper-user", "helper-secret"), (credential!.Username, credential.Password));
        Assert.Equal(["reg.example:5000"], File.ReadAllLines(log));
        // A registry without a helper entry (and no credsStore) is not sent to the helper.
        Assert.Null(await provider.GetCredentialAsync("elsewhere.example", default));
        Assert.Single(File.ReadAllLines(log));
    }

    [Fact]
    public async Task CredsStoreServesEveryRegistryAndDockerHubUnderItsLegacyAddress()
    {
        var log = InstallTestHelper();
        var provider = new DockerConfigCredentialProvider(WriteConfig(AuthsJson(("fallback.example", "file-user:file-pw")).Replace("{\"auths\"", "{\"credsStore\":\"test\",\"auths\"")));

        var hub = await provider.GetCredentialAsync("docker.io", default);
        Assert.Equal("refresh-token", hub!.IdentityToken); // "<token>" user name marks an identity token
        Assert.Null(hub.Username);
        // Not in the store: the auths entry still counts.
        Assert.Equal("file-user", (await provider.GetCredentialAsync("fallback.example", default))!.Username);
        Assert.Null(await provider.GetCredentialAsync("unknown.example", default));
        Assert.Equal(["https://index.docker.io/v1/", "fallback.example", "unknown.example"], File.ReadAllLines(log));
    }

    [Fact]
    public async Task FailingHelperReportsItsErrorOutput()
    {
        InstallTestHelper();
        var provider = new DockerConfigCredentialProvider(WriteConfig("""{"credsStore":"test"}"""));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.GetCredentialAsync("broken.example", default).AsTask());
        Assert.Contains("docker-credential-test", error.Message);
        Assert.Contains("exit code 3", error.Message);
        Assert.Contains("the keychain is locked", error.Message);
    }

    [Fact]
    public async Task MissingHelperProgramIsNamedInTheError()
    {
        var provider = new DockerConfigCredentialProvider(WriteConfig("""{"credsStore":"does-not-exist-anywhere"}"""));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.GetCredentialAsync("x.example", default).AsTask());
        Assert.Contains("docker-credential-does-not-exist-anywhere", error.Message);
        Assert.Contains("not found on PATH", error.Message);
    }

    [Fact]
    public async Task EnvironmentProviderAppliesToListedHostsOrToAll()
    {
        var variables = new Dictionary<string, string>
        {
            [EnvironmentCredentialProvider.UsernameVariable] = "ci",
            [EnvironmentCredentialProvider.PasswordVariable] = "ci-secret",
        };
        var provider = new EnvironmentCredentialProvider(name => variables.GetValueOrDefault(name));
        Assert.Equal("ci", (await provider.GetCredentialAsync("any.example", default))!.Username);

        variables[EnvironmentCredentialProvider.HostVariable] = "reg.example:5000, https://index.docker.io/v1/";
        Assert.Equal("ci", (await provider.GetCredentialAsync("reg.example:5000", default))!.Username);
        Assert.Equal("ci", (await provider.GetCredentialAsync("docker.io", default))!.Username);
        Assert.Null(await provider.GetCredentialAsync("any.example", default));

        variables.Remove(EnvironmentCredentialProvider.PasswordVariable);
        Assert.Null(await provider.GetCredentialAsync("reg.example:5000", default));
    }

    [Fact]
    public async Task ChainedProviderAsksInOrder()
    {
        var env = new EnvironmentCredentialProvider(name => name switch
        {
            EnvironmentCredentialProvider.UsernameVariable => "env-user",
            EnvironmentCredentialProvider.PasswordVariable => "env-pw",
            EnvironmentCredentialProvider.HostVariable => "only.example",
            _ => null,
        });
        var file = new DockerConfigCredentialProvider(WriteConfig(AuthsJson(("only.example", "file:pw"), ("other.example", "file:pw"))));
        var chain = new ChainedCredentialProvider(env, file);
        Assert.Equal("env-user", (await chain.GetCredentialAsync("only.example", default))!.Username);
        Assert.Equal("file", (await chain.GetCredentialAsync("other.example", default))!.Username);
        Assert.Null(await chain.GetCredentialAsync("none.example", default));
    }

    [Fact]
    public void CredentialToStringHidesSecrets()
    {
        Assert.DoesNotContain("hunter2", new RegistryCredential("user", "hunter2").ToString());
        Assert.DoesNotContain("refresh-9f2", new RegistryCredential(null, null, "refresh-9f2").ToString());
    }
}
