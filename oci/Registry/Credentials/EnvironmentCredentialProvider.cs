namespace Csbuild.Oci.Registry.Credentials;

/// <summary>
/// Credentials from environment variables, for CI where there is no <c>docker login</c>:
/// <c>CSBUILD_REGISTRY_USERNAME</c> and <c>CSBUILD_REGISTRY_PASSWORD</c>, optionally limited to the registries
/// listed (comma-separated) in <c>CSBUILD_REGISTRY_HOST</c>; without it they apply to every registry.
/// </summary>
public sealed class EnvironmentCredentialProvider(Func<string, string?>? getVariable = null) : ICredentialProvider
{
    public const string UsernameVariable = "CSBUILD_REGISTRY_USERNAME";
    public const string PasswordVariable = "CSBUILD_REGISTRY_PASSWORD";
    public const string HostVariable = "CSBUILD_REGISTRY_HOST";

    private readonly Func<string, string?> _getVariable = getVariable ?? Environment.GetEnvironmentVariable;

    public ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken)
    {
        var username = _getVariable(UsernameVariable);
        var password = _getVariable(PasswordVariable);
        if (string.IsNullOrEmpty(username) || password is null) return ValueTask.FromResult<RegistryCredential?>(null);

        var hosts = _getVariable(HostVariable);
        if (!string.IsNullOrWhiteSpace(hosts))
        {
            var wanted = DockerConfigCredentialProvider.NormalizeRegistry(registry);
            bool listed = hosts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Any(h => DockerConfigCredentialProvider.NormalizeRegistry(h) == wanted);
            if (!listed) return ValueTask.FromResult<RegistryCredential?>(null);
        }
        return ValueTask.FromResult<RegistryCredential?>(new RegistryCredential(username, password));
    }
}
