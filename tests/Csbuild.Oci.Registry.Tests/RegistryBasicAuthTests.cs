using System.Net;
using System.Text;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry.Credentials;
using Csbuild.Oci.Registry.Tests.Support;
using Csbuild.TestSupport;

namespace Csbuild.Oci.Registry.Tests;

public sealed class BasicAuthRegistryFixture() : RegistryFixture(new RegistryFixtureOptions { Username = "builder", Password = "s3cret-Pa55" });

/// <summary>A real registry with htpasswd Basic auth.</summary>
public class RegistryBasicAuthTests(BasicAuthRegistryFixture registry) : IClassFixture<BasicAuthRegistryFixture>
{
    [Fact]
    public async Task PushAndPullWithCorrectCredentials()
    {
        using var client = new RegistryClient(registry.CreateClientOptions());
        var reference = ImageReference.Parse(registry.Reference("auth/app:1"));
        var image = new TestImage("authenticated");
        var digest = await image.PushAsync(client, reference);
        var manifest = await client.GetManifestAsync(reference);
        Assert.Equal(digest, manifest.Digest);
        Assert.Contains("1", await client.ListTagsAsync(reference.Name));

        // Independent check: skopeo with the same credentials.
        var inspect = await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false", "--creds", $"{registry.Username}:{registry.Password}", $"docker://{reference.Canonical}");
        Assert.Contains(digest.ToString(), inspect);
    }

    [Fact]
    public async Task WrongPasswordFailsWithOneLineMessageWithoutTheSecret()
    {
        using var client = new RegistryClient(TestOptions.Anonymous() with { Credentials = new FixedCredentialProvider(registry.Username, "wrong-password-xyz") });
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse(registry.Reference("auth/app:1"))));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.True(error.IsUnauthorized);
        Assert.Equal("UNAUTHORIZED", error.ErrorCode);
        Assert.Contains(registry.Host, error.Message);
        Assert.Contains("auth/app", error.Message);
        Assert.Contains("credentials were refused", error.Message);
        Assert.DoesNotContain("wrong-password-xyz", error.ToString());
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registry.Username}:wrong-password-xyz")), error.ToString());
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task MissingCredentialsSaySoAndHowToProvideThem()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse(registry.Reference("auth/app:1"))));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Contains("no credentials configured", error.Message);
    }

    [Fact]
    public async Task CredentialsComeFromDockerConfigJson()
    {
        var dir = Directory.CreateTempSubdirectory("csbuild-dockercfg-");
        try
        {
            var configPath = Path.Combine(dir.FullName, "config.json");
            await File.WriteAllTextAsync(configPath, CredentialProviderTests.AuthsJson(("http://" + registry.Host, $"{registry.Username}:{registry.Password}")));
            using var client = new RegistryClient(TestOptions.Anonymous() with { Credentials = new DockerConfigCredentialProvider(configPath) });
            var reference = ImageReference.Parse(registry.Reference("auth/fromconfig:1"));
            var digest = await new TestImage("config.json").PushAsync(client, reference);
            Assert.Equal(digest, (await client.GetManifestAsync(reference)).Digest);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task CredentialsAreLookedUpOncePerRegistry()
    {
        var credentials = new FixedCredentialProvider(registry.Username, registry.Password);
        using var client = new RegistryClient(TestOptions.Anonymous() with { Credentials = credentials });
        var reference = ImageReference.Parse(registry.Reference("auth/once:1"));
        await new TestImage("once").PushAsync(client, reference);
        await client.GetManifestAsync(reference);
        Assert.Equal(1, credentials.Calls);
    }
}

public sealed class TlsRegistryFixture() : RegistryFixture(new RegistryFixtureOptions { Tls = true });

/// <summary>A real registry serving HTTPS with a certificate from a test CA.</summary>
public class RegistryTlsTests(TlsRegistryFixture registry) : IClassFixture<TlsRegistryFixture>
{
    [Fact]
    public async Task TrustedTestCaAllowsPushAndPullOverHttps()
    {
        var (options, handler) = RecordingHandler.Wrap(registry.CreateClientOptions());
        using var client = new RegistryClient(options);
        var reference = ImageReference.Parse(registry.Reference("tls/app:1"));
        var digest = await new TestImage("over TLS").PushAsync(client, reference);
        Assert.Equal(digest, (await client.GetManifestAsync(reference)).Digest);
        Assert.True(await client.BlobExistsAsync(reference.Name, new TestImage("over TLS").Config.Digest));
        // Loopback is tried over plain HTTP first; the TLS port's 400 answer switches the client to HTTPS.
        Assert.Equal(2, handler().Requests.Count(r => r.PathAndQuery == "/v2/"));
    }

    [Fact]
    public async Task UntrustedCertificateFailsWithAnExplanation()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse(registry.Reference("tls/app:1"))));
        Assert.Contains($"TLS certificate of {registry.Host} refused", error.Message);
        Assert.Contains("certificate chain not trusted", error.Message);
        Assert.Contains("TrustedRootCertificates", error.Message);
    }

    [Fact]
    public async Task OtherCaIsNotEnough()
    {
        using var other = TestCertificates.Create();
        using var client = new RegistryClient(TestOptions.Anonymous() with { TrustedRootCertificates = [other.CaPublicCertificate] });
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.PingAsync(registry.Host));
        Assert.Contains("certificate chain not trusted", error.Message);
    }

    [Fact]
    public async Task ExplicitlyInsecureRegistrySkipsVerificationAsDockerDoes()
    {
        using var client = new RegistryClient(TestOptions.Anonymous() with { InsecureRegistries = [registry.Host] });
        var reference = ImageReference.Parse(registry.Reference("tls/insecure:1"));
        var digest = await new TestImage("insecure").PushAsync(client, reference);
        Assert.Equal(digest, (await client.GetManifestAsync(reference)).Digest);
    }
}
