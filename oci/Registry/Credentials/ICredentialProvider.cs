namespace Csbuild.Oci.Registry.Credentials;

/// <summary>Credentials for one registry: user name and password, or an OAuth2 identity (refresh) token.</summary>
public sealed class RegistryCredential
{
    public RegistryCredential(string? username, string? password, string? identityToken = null)
    {
        Username = username;
        Password = password;
        IdentityToken = identityToken;
    }

    public string? Username { get; }
    public string? Password { get; }

    /// <summary>Refresh token from <c>docker login</c> against an OAuth2 token server (<c>identitytoken</c> in config.json).</summary>
    public string? IdentityToken { get; }

    public bool HasBasic => !string.IsNullOrEmpty(Username) && Password is not null;

    /// <summary>Never shows secrets: this object ends up in logs and exception messages by accident otherwise.</summary>
    public override string ToString() => IdentityToken is not null ? "RegistryCredential(identity token)" : $"RegistryCredential({Username}, ***)";
}

/// <summary>Looks up credentials for a registry host (as written in image references, e.g. <c>docker.io</c>, <c>host:5000</c>).</summary>
public interface ICredentialProvider
{
    /// <returns>Null when this provider knows no credentials for the registry (anonymous access is then tried).</returns>
    ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken);
}

/// <summary>Knows no credentials: every registry is accessed anonymously.</summary>
public sealed class AnonymousCredentialProvider : ICredentialProvider
{
    public static AnonymousCredentialProvider Instance { get; } = new();
    public ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken) => ValueTask.FromResult<RegistryCredential?>(null);
}

/// <summary>Asks providers in order; the first that knows the registry wins.</summary>
public sealed class ChainedCredentialProvider(params IReadOnlyList<ICredentialProvider> providers) : ICredentialProvider
{
    /// <summary>CI variables first (explicit beats ambient), then <c>~/.docker/config.json</c>.</summary>
    public static ChainedCredentialProvider CreateDefault() => new(new EnvironmentCredentialProvider(), new DockerConfigCredentialProvider());

    public async ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken)
    {
        foreach (var provider in providers)
            if (await provider.GetCredentialAsync(registry, cancellationToken).ConfigureAwait(false) is { } credential)
                return credential;
        return null;
    }
}

/// <summary>One fixed credential, for the given registries (all registries when none are listed), e.g. from command-line flags.</summary>
public sealed class StaticCredentialProvider(RegistryCredential credential, params IReadOnlyList<string> registries) : ICredentialProvider
{
    public ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken)
    {
        bool applies = registries.Count == 0
            || registries.Any(r => DockerConfigCredentialProvider.NormalizeRegistry(r) == DockerConfigCredentialProvider.NormalizeRegistry(registry));
        return ValueTask.FromResult(applies ? credential : null);
    }
}
