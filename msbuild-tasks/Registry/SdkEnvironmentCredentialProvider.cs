using Csbuild.Oci.Registry.Credentials;

namespace Csbuild.Containers.Registry;

/// <summary>Whether credentials are wanted to read the base image or to write the result: the SDK has separate variables for each.</summary>
public enum RegistryRole { Pull, Push }

/// <summary>
/// The .NET SDK's registry credential variables: DOTNET_CONTAINER_PUSH_REGISTRY_UNAME/PWORD (or _PULL_ for the base
/// image), then DOTNET_CONTAINER_REGISTRY_UNAME/PWORD, then the older SDK_CONTAINER_REGISTRY_UNAME/PWORD. They apply to
/// whatever registry is being pushed to (or pulled from), as in the SDK.
/// </summary>
public sealed class SdkEnvironmentCredentialProvider(RegistryRole role, Func<string, string?>? getVariable = null) : ICredentialProvider
{
    private readonly Func<string, string?> _getVariable = getVariable ?? Environment.GetEnvironmentVariable;

    public static ICredentialProvider CreateChain(RegistryRole role) =>
        new ChainedCredentialProvider(new SdkEnvironmentCredentialProvider(role), new EnvironmentCredentialProvider(), new DockerConfigCredentialProvider());

    public ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken)
    {
        var specific = role == RegistryRole.Push ? "DOTNET_CONTAINER_PUSH_REGISTRY_" : "DOTNET_CONTAINER_PULL_REGISTRY_";
        foreach (var prefix in (string[])[specific, "DOTNET_CONTAINER_REGISTRY_", "SDK_CONTAINER_REGISTRY_"])
        {
            var user = _getVariable(prefix + "UNAME");
            var password = _getVariable(prefix + "PWORD");
            if (!string.IsNullOrEmpty(user) && password is not null)
                return ValueTask.FromResult<RegistryCredential?>(new RegistryCredential(user, password));
        }
        return ValueTask.FromResult<RegistryCredential?>(null);
    }
}
