using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Csbuild.Oci.Registry.Credentials;

namespace Csbuild.Cli.Config;

/// <summary>
/// Writes and removes entries of <c>auths</c> in the docker CLI's <c>config.json</c> ($DOCKER_CONFIG, else ~/.docker),
/// as <c>docker login</c>/<c>logout</c> do without a credential store: <c>{"auth": base64("user:password")}</c>, keyed by
/// host[:port] (<c>https://index.docker.io/v1/</c> for Docker Hub). Every other key of the file is kept as it was; the
/// file is replaced atomically and readable by its owner only.
/// </summary>
public sealed class DockerAuthFile(string? path = null)
{
    public string Path { get; } = path ?? DockerConfigCredentialProvider.DefaultConfigPath();

    /// <summary>The key docker uses for a registry given as "docker.io", "localhost:5000" or "https://host/v2/".</summary>
    public static string ServerKey(string registry)
    {
        var host = DockerConfigCredentialProvider.NormalizeRegistry(registry);
        return host == "index.docker.io" ? DockerConfigCredentialProvider.DockerHubServerAddress : host;
    }

    /// <summary>The credential helper that would hold this registry's secret instead of the file, if one is configured.</summary>
    public string? HelperFor(string registry)
    {
        var document = Read();
        var wanted = DockerConfigCredentialProvider.NormalizeRegistry(registry);
        if (document["credHelpers"] is JsonObject helpers)
            foreach (var (key, value) in helpers)
                if (DockerConfigCredentialProvider.NormalizeRegistry(key) == wanted && value?.GetValue<string>() is { Length: > 0 } name)
                    return name;
        return document["credsStore"]?.GetValue<string>() is { Length: > 0 } store ? store : null;
    }

    public void Store(string registry, string username, string password)
    {
        var document = Read();
        if (document["auths"] is not JsonObject auths)
        {
            auths = new JsonObject();
            document["auths"] = auths;
        }
        RemoveMatching(auths, registry);
        auths[ServerKey(registry)] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + password)) };
        Write(document);
    }

    /// <summary>Removes the registry's entries; false when there were none.</summary>
    public bool Remove(string registry)
    {
        if (!File.Exists(Path)) return false;
        var document = Read();
        if (document["auths"] is not JsonObject auths || !RemoveMatching(auths, registry)) return false;
        Write(document);
        return true;
    }

    private static bool RemoveMatching(JsonObject auths, string registry)
    {
        var wanted = DockerConfigCredentialProvider.NormalizeRegistry(registry);
        var keys = auths.Select(p => p.Key).Where(k => DockerConfigCredentialProvider.NormalizeRegistry(k) == wanted).ToList();
        foreach (var key in keys) auths.Remove(key);
        return keys.Count > 0;
    }

    private JsonObject Read()
    {
        if (!File.Exists(Path)) return new JsonObject();
        try
        {
            return JsonNode.Parse(File.ReadAllText(Path)) as JsonObject
                ?? throw new InvalidDataException($"{Path} does not hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Path} is not valid JSON: {e.Message}", e);
        }
    }

    private void Write(JsonObject document)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        if (!Directory.Exists(directory))
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temp = Path + $".{Environment.ProcessId}.tmp";
        try
        {
            // Created 0600 before anything is written: the secret is never readable by others, not even briefly.
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                stream.Write(Encoding.UTF8.GetBytes(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
                stream.Write("\n"u8);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, Path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
