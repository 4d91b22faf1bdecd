using System.Net;
using System.Text;
using System.Web;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry.Credentials;
using Csbuild.Oci.Registry.Tests.Support;
using Csbuild.TestSupport;

namespace Csbuild.Oci.Registry.Tests;

/// <summary>The Docker token flow: a stub registry answers 401 with a Bearer challenge naming a stub token server.</summary>
public sealed class BearerTokenTests : IDisposable
{
    private readonly StubServer _tokenServer;
    private readonly StubServer _registry;
    private readonly byte[] _manifest = new TestImage("bearer").Manifest;
    private int _tokensIssued;

    /// <summary>Which JSON field the token server uses: Docker Hub sends "token", OAuth2 servers "access_token".</summary>
    private string _tokenField = "token";

    /// <summary>Plays a registry that revoked the first token it sees (as after a token-signing key rotation).</summary>
    private bool _rejectFirstToken;

    public BearerTokenTests()
    {
        _tokenServer = new StubServer(async (context, request) =>
        {
            // POST is the OAuth2 refresh-token grant (identity token from docker login); GET the classic token request.
            var query = request.Method == "POST"
                ? HttpUtility.ParseQueryString(Encoding.UTF8.GetString(request.Body))
                : HttpUtility.ParseQueryString(new Uri("http://x" + request.PathAndQuery).Query);
            if (request.Method == "POST")
            {
                if (query["grant_type"] != "refresh_token" || query["refresh_token"] != "refresh-abc")
                {
                    await StubServer.RespondJson(context, 401, """{"error":"invalid_grant","error_description":"refresh token revoked"}""");
                    return;
                }
                int issued = Interlocked.Increment(ref _tokensIssued);
                await StubServer.RespondJson(context, 200, $$"""{"access_token":"alice|{{query["scope"]}}|{{issued}}","expires_in":300}""");
                return;
            }
            if (query["service"] != "stub-registry") { await StubServer.RespondJson(context, 400, """{"details":"unknown service"}"""); return; }
            if (request.Authorization is { } auth && auth != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:wonderland")))
            {
                await StubServer.RespondJson(context, 401, """{"details":"incorrect username or password"}""");
                return;
            }
            var scopes = string.Join(' ', query.GetValues("scope") ?? []);
            var user = request.Authorization is null ? "anonymous" : "alice";
            int n = Interlocked.Increment(ref _tokensIssued);
            await StubServer.RespondJson(context, 200, $$"""{"{{_tokenField}}":"{{user}}|{{scopes}}|{{n}}","expires_in":300,"issued_at":"{{DateTimeOffset.UtcNow:O}}"}""");
        });

        _registry = new StubServer(async (context, request) =>
        {
            // Grant what the token says; the token text is "<user>|<scopes>|<n>".
            var token = request.Authorization is { } a && a.StartsWith("Bearer ", StringComparison.Ordinal) ? a[7..] : null;
            var parts = request.PathAndQuery.Split('/');
            var repository = parts.Length > 3 ? $"{parts[2]}/{parts[3]}" : "";
            bool allowed = request.PathAndQuery == "/v2/" ? token is not null : token?.Split('|')[1].Split(' ').Contains($"repository:{repository}:pull") == true;
            if (repository == "private/app" && token?.StartsWith("alice|", StringComparison.Ordinal) != true) allowed = false;
            if (_rejectFirstToken && token?.EndsWith("|1", StringComparison.Ordinal) == true) allowed = false;
            if (!allowed)
            {
                var scope = request.PathAndQuery == "/v2/" ? "" : $",scope=\"repository:{repository}:pull\"";
                await StubServer.RespondJson(context, 401, """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""",
                    ("WWW-Authenticate", $"Bearer realm=\"http://{_tokenServer.Host}/token\",service=\"stub-registry\"{scope}"));
                return;
            }
            if (request.PathAndQuery == "/v2/") { await StubServer.Respond(context, 200); return; }
            await StubServer.Respond(context, 200, _manifest, MediaTypes.OciManifest);
        });
    }

    public void Dispose()
    {
        _registry.Dispose();
        _tokenServer.Dispose();
    }

    private ImageReference Ref(string repositoryAndTag) => ImageReference.Parse($"{_registry.Host}/{repositoryAndTag}");

    [Theory]
    [InlineData("token")]
    [InlineData("access_token")]
    public async Task AnonymousTokenIsFetchedAndCachedPerScope(string tokenField)
    {
        _tokenField = tokenField;
        using var client = new RegistryClient(TestOptions.Anonymous());

        var first = await client.GetManifestAsync(Ref("library/alpine:latest"));
        await client.GetManifestAsync(Ref("library/alpine:3"));
        Assert.Equal(Digest.Of(_manifest), first.Digest);
        Assert.Equal(1, _tokensIssued); // the second request reused the cached token

        await client.GetManifestAsync(Ref("library/busybox:latest"));
        Assert.Equal(2, _tokensIssued); // another repository is another scope

        var tokenRequests = _tokenServer.Requests;
        Assert.All(tokenRequests, r => Assert.Null(r.Authorization));
        Assert.Contains(tokenRequests, r => r.PathAndQuery.Contains("scope=" + Uri.EscapeDataString("repository:library/alpine:pull"), StringComparison.Ordinal));
        // The registry saw only bearer tokens, never credentials.
        Assert.All(_registry.Requests.Where(r => r.Authorization is not null), r => Assert.StartsWith("Bearer ", r.Authorization));
    }

    [Fact]
    public async Task CredentialsGoToTheTokenServerOnly()
    {
        using var client = new RegistryClient(TestOptions.Anonymous() with { Credentials = new FixedCredentialProvider("alice", "wonderland") });
        var manifest = await client.GetManifestAsync(Ref("private/app:1"));
        Assert.Equal(Digest.Of(_manifest), manifest.Digest);

        var tokenRequest = _tokenServer.Requests.Last();
        Assert.StartsWith("Basic ", tokenRequest.Authorization);
        Assert.Contains("account=alice", tokenRequest.PathAndQuery);
        Assert.All(_registry.Requests.Where(r => r.Authorization is not null), r => Assert.StartsWith("Bearer alice|", r.Authorization));
    }

    [Fact]
    public async Task IdentityTokenIsExchangedWithTheOAuthRefreshGrant()
    {
        using var client = new RegistryClient(TestOptions.Anonymous() with { Credentials = new IdentityTokenProvider("refresh-abc") });
        var manifest = await client.GetManifestAsync(Ref("private/app:1"));
        Assert.Equal(Digest.Of(_manifest), manifest.Digest);
        var tokenRequest = Assert.Single(_tokenServer.Requests);
        Assert.Equal("POST", tokenRequest.Method);
        Assert.Null(tokenRequest.Authorization);
    }

    [Fact]
    public async Task RevokedIdentityTokenIsReportedWithTheServersDescription()
    {
        using var client = new RegistryClient(TestOptions.Anonymous() with { Credentials = new IdentityTokenProvider("stale") });
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("private/app:1")));
        Assert.Contains("refresh token revoked", error.Message);
        Assert.DoesNotContain("stale", error.ToString());
    }

    [Fact]
    public async Task TokenRefusedByTheRegistryIsRenewedOnce()
    {
        _rejectFirstToken = true;
        using var client = new RegistryClient(TestOptions.Anonymous());
        var manifest = await client.GetManifestAsync(Ref("library/alpine:latest"));
        Assert.Equal(Digest.Of(_manifest), manifest.Digest);
        Assert.Equal(2, _tokensIssued);
    }

    [Fact]
    public async Task AnonymousAccessToAPrivateRepositoryIsUnauthorized()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("private/app:1")));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Contains("private/app", error.Message);
        Assert.Contains("UNAUTHORIZED: authentication required", error.Message);
    }

    [Fact]
    public async Task WrongPasswordIsReportedWithTheTokenServersReasonAndNoSecret()
    {
        using var client = new RegistryClient(TestOptions.Anonymous() with { Credentials = new FixedCredentialProvider("alice", "not-the-password") });
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("private/app:1")));
        Assert.Contains("authentication failed", error.Message);
        Assert.Contains("incorrect username or password", error.Message);
        Assert.Contains($"http://{_tokenServer.Host}/token", error.Message);
        Assert.DoesNotContain("not-the-password", error.ToString());
    }

    private sealed class IdentityTokenProvider(string token) : ICredentialProvider
    {
        public ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken) =>
            ValueTask.FromResult<RegistryCredential?>(new RegistryCredential(null, null, token));
    }
}
