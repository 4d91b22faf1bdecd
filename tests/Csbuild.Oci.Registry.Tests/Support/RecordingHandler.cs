using System.Collections.Concurrent;
using Csbuild.Oci.Registry.Credentials;

namespace Csbuild.Oci.Registry.Tests.Support;

/// <summary>Records every request the client sends (method and path with query), to prove what was and was not sent.</summary>
internal sealed class RecordingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly ConcurrentQueue<(HttpMethod Method, string PathAndQuery)> _requests = new();

    public IReadOnlyList<(HttpMethod Method, string PathAndQuery)> Requests => [.. _requests];

    public void Clear() => _requests.Clear();

    public int Count(HttpMethod method, string pathContains) =>
        Requests.Count(r => r.Method == method && r.PathAndQuery.Contains(pathContains, StringComparison.Ordinal));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        _requests.Enqueue((request.Method, request.RequestUri!.PathAndQuery));
        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>Options whose transport records into a new handler.</summary>
    public static (RegistryOptions Options, Func<RecordingHandler> Handler) Wrap(RegistryOptions template)
    {
        RecordingHandler? created = null;
        var options = template with { WrapHandler = h => created = new RecordingHandler(h) };
        return (options, () => created ?? throw new InvalidOperationException("no client was created with these options"));
    }
}

/// <summary>Always answers with the same credential (or none).</summary>
internal sealed class FixedCredentialProvider(string? username, string? password) : ICredentialProvider
{
    public int Calls;

    public ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        return ValueTask.FromResult(username is null ? null : new RegistryCredential(username, password));
    }
}

internal static class TestOptions
{
    /// <summary>Fast retries so failure tests do not wait seconds.</summary>
    public static RetryPolicy QuickRetry(int attempts = 4) => new() { MaxAttempts = attempts, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50) };

    public static RegistryOptions Anonymous(RetryPolicy? retry = null) => new()
    {
        Credentials = AnonymousCredentialProvider.Instance,
        Retry = retry ?? QuickRetry(),
    };
}
