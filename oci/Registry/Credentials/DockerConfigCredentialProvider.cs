using System.Text;
using System.Text.Json;

namespace Csbuild.Oci.Registry.Credentials;

/// <summary>
/// Reads credentials the way the docker CLI stores them in <c>config.json</c> (<c>$DOCKER_CONFIG/config.json</c>,
/// else <c>~/.docker/config.json</c>): <c>credHelpers</c> per registry, then the <c>credsStore</c> for all registries,
/// then the base64 <c>auth</c> (or <c>username</c>/<c>password</c>, <c>identitytoken</c>) entries under <c>auths</c>.
/// </summary>
public sealed class DockerConfigCredentialProvider : ICredentialProvider
{
    /// <summary>The key Docker Hub credentials are stored under, for historical reasons.</summary>
    public const string DockerHubServerAddress = "https://index.docker.io/v1/";

    private readonly string _configPath;
    private readonly Lazy<DockerConfigFile> _config;

    public DockerConfigCredentialProvider(string? configPath = null)
    {
        _configPath = configPath ?? DefaultConfigPath();
        _config = new Lazy<DockerConfigFile>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string ConfigPath => _configPath;

    public static string DefaultConfigPath()
    {
        var dir = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(dir))
            dir = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return Path.Combine(dir, "config.json");
    }

    public async ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken)
    {
        var config = _config.Value;
        var normalized = NormalizeRegistry(registry);

        string? helper = null;
        if (config.CredHelpers is not null)
            foreach (var (key, name) in config.CredHelpers)
                if (NormalizeRegistry(key) == normalized) { helper = name; break; }
        helper ??= config.CredsStore;

        if (!string.IsNullOrEmpty(helper))
        {
            var serverAddress = normalized == "index.docker.io" ? DockerHubServerAddress : registry;
            var fromHelper = await DockerCredentialHelper.GetAsync(helper, serverAddress, cancellationToken).ConfigureAwait(false);
            if (fromHelper is not null) return fromHelper;
        }

        if (config.Auths is null) return null;
        foreach (var (key, entry) in config.Auths)
            if (NormalizeRegistry(key) == normalized)
                return FromAuthEntry(key, entry);
        return null;
    }

    /// <summary>
    /// Reduces a config.json key or image registry to a bare host[:port] so they compare equal:
    /// <c>https://index.docker.io/v1/</c>, <c>docker.io</c> and <c>registry-1.docker.io</c> are all Docker Hub.
    /// </summary>
    public static string NormalizeRegistry(string value)
    {
        var host = value.Trim();
        int scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) host = host[(scheme + 3)..];
        int slash = host.IndexOf('/');
        if (slash >= 0) host = host[..slash];
        host = host.ToLowerInvariant();
        return host is "docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? "index.docker.io" : host;
    }

    private RegistryCredential? FromAuthEntry(string key, DockerAuthEntry entry)
    {
        if (!string.IsNullOrEmpty(entry.IdentityToken)) return new RegistryCredential(entry.Username, null, entry.IdentityToken);
        if (!string.IsNullOrEmpty(entry.Auth))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(entry.Auth));
            }
            catch (FormatException)
            {
                throw new InvalidDataException($"{_configPath}: the 'auth' value for '{key}' is not valid base64");
            }
            int colon = decoded.IndexOf(':');
            if (colon <= 0) throw new InvalidDataException($"{_configPath}: the 'auth' value for '{key}' is not base64 of 'user:password'");
            return new RegistryCredential(decoded[..colon], decoded[(colon + 1)..]);
        }
        if (!string.IsNullOrEmpty(entry.Username)) return new RegistryCredential(entry.Username, entry.Password ?? "");
        return null; // "auths": {"host": {}} is what docker writes when a credsStore holds the secret.
    }

    private DockerConfigFile Load()
    {
        if (!File.Exists(_configPath)) return new DockerConfigFile();
        try
        {
            using var stream = File.OpenRead(_configPath);
            return JsonSerializer.Deserialize(stream, RegistryJsonContext.Default.DockerConfigFile) ?? new DockerConfigFile();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{_configPath} is not valid JSON: {e.Message}", e);
        }
    }
}
