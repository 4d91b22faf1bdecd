using System.Net;

namespace Csbuild.Oci.Registry;

/// <summary>
/// A registry operation failed. The message is one line naming the registry, the repository and, when the
/// registry sent one, its own error code and message. It never contains credentials or tokens.
/// </summary>
public sealed class RegistryException : Exception
{
    public RegistryException(string registry, string? repository, string message, HttpStatusCode? statusCode = null, string? errorCode = null, Exception? inner = null)
        : base(Format(registry, repository, message), inner)
    {
        Registry = registry;
        Repository = repository;
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    public string Registry { get; }
    public string? Repository { get; }
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The first error code from the registry's JSON error body, e.g. <c>MANIFEST_UNKNOWN</c>.</summary>
    public string? ErrorCode { get; }

    /// <summary>The manifest, blob, repository or tag does not exist (as opposed to auth, network or server failures).</summary>
    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound
        || ErrorCode is "MANIFEST_UNKNOWN" or "BLOB_UNKNOWN" or "NAME_UNKNOWN";

    public bool IsUnauthorized => StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;

    private static string Format(string registry, string? repository, string message)
    {
        var where = repository is null ? $"registry {registry}" : $"registry {registry}, repository {repository}";
        // Registries may put newlines in their messages; keep ours to one line.
        return (where + ": " + message).ReplaceLineEndings(" ");
    }
}
