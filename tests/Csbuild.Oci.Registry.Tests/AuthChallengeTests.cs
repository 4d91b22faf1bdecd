using System.Net;
using Csbuild.Oci.Registry.Auth;

namespace Csbuild.Oci.Registry.Tests;

public class AuthChallengeTests
{
    [Fact]
    public void ParsesDockerHubStyleBearerChallenge()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate",
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/alpine:pull repository:x/y:pull,push\"");
        var challenge = AuthChallenge.Select(response.Headers);
        Assert.NotNull(challenge);
        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.docker.io/token", challenge.Realm);
        Assert.Equal("registry.docker.io", challenge.Service);
        Assert.Equal(["repository:library/alpine:pull", "repository:x/y:pull,push"], challenge.Scopes);
    }

    [Fact]
    public void PrefersBearerOverBasicWhenBothAreOffered()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", "Basic realm=\"r\"");
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", "Bearer realm=\"https://t/token\"");
        Assert.True(AuthChallenge.Select(response.Headers)!.IsBearer);
    }

    [Fact]
    public void ParsesQuotedEscapesAndUnquotedValues()
    {
        var parameters = AuthChallenge.ParseParameters("realm=\"a \\\"quoted\\\" realm\", service=plain , error=\"insufficient_scope\"");
        Assert.Equal("a \"quoted\" realm", parameters["realm"]);
        Assert.Equal("plain", parameters["service"]);
        Assert.Equal("insufficient_scope", parameters["error"]);
    }

    [Fact]
    public void IgnoresUnknownSchemes()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", "Negotiate");
        Assert.Null(AuthChallenge.Select(response.Headers));
    }

    [Theory]
    [InlineData("0-1023", 0, 1024L)]
    [InlineData("bytes=0-99", 50, 100L)]
    [InlineData("0-0", 0, 0L)]
    [InlineData("0-0", 1, 1L)]
    public void ReadsUploadRangeHeaders(string range, long previous, long expected)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Accepted);
        response.Headers.TryAddWithoutValidation("Range", range);
        Assert.Equal(expected, RegistryClient.ConfirmedOffset(response.Headers, previous));
    }
}
