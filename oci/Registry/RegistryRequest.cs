namespace Csbuild.Oci.Registry;

/// <summary>One logical registry API call, rebuilt into a fresh <see cref="HttpRequestMessage"/> for every try.</summary>
internal sealed class RegistryRequest
{
    public required string Registry { get; init; }
    public string? Repository { get; init; }

    /// <summary>What the call does, for error messages: "fetch manifest latest", "upload blob sha256:…".</summary>
    public required string Operation { get; init; }

    public HttpMethod Method { get; init; } = HttpMethod.Get;

    /// <summary>A path below the registry root (<c>/v2/…</c>) or an absolute URL (upload locations, pagination links).</summary>
    public required string Target { get; init; }

    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>Creates the body anew for each try (a stream cannot be sent twice).</summary>
    public Func<HttpContent>? Content { get; init; }

    public Action<HttpRequestMessage>? Configure { get; init; }

    /// <summary>Retry on 429/5xx and broken connections. Off for requests whose retry must be decided by the caller (uploads).</summary>
    public bool RetryTransient { get; init; } = true;

    /// <summary>Follow 3xx answers (blob downloads redirect to storage); the Authorization header is not sent to other hosts.</summary>
    public bool FollowRedirects { get; init; }

    public static IReadOnlyList<string> PullScope(string repository) => [$"repository:{repository}:pull"];

    public static IReadOnlyList<string> PushScope(string repository) => [$"repository:{repository}:pull,push"];
}

/// <summary>Where a registry's API is reached: docker.io is served from registry-1.docker.io, others from their own host.</summary>
internal sealed record RegistryEndpoint(string Registry, Uri BaseUri)
{
    public static string ApiHost(string registry) => registry == ImageReference.DockerHubRegistry ? "registry-1.docker.io" : registry;
}
