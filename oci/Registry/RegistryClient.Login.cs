namespace Csbuild.Oci.Registry;

public sealed partial class RegistryClient
{
    /// <summary>
    /// Checks that the registry accepts the configured credentials, as <c>docker login</c> does: an authenticated
    /// <c>GET /v2/</c> (Basic, or with a token from the registry's auth server). Throws a <see cref="RegistryException"/>
    /// whose <see cref="RegistryException.IsUnauthorized"/> is set when they are refused. A registry that asks for no
    /// authentication at all passes.
    /// </summary>
    public async Task VerifyCredentialsAsync(string registry, CancellationToken cancellationToken = default)
    {
        var request = new RegistryRequest { Registry = registry, Operation = "log in", Target = "/v2/" };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
    }
}
