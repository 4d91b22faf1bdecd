using System.Collections.Concurrent;
using System.Net;
using System.Security.Authentication;
using System.Text.Json;
using Csbuild.Oci.Registry.Auth;

namespace Csbuild.Oci.Registry;

/// <summary>
/// A client for the OCI distribution API (v1.1): manifests, blobs, uploads and tags, with Docker-compatible
/// authentication, TLS rules and bounded retries. Thread-safe; keep one per process and share it.
/// The operations live in the partial files RegistryClient.Manifests/Blobs/Uploads.cs.
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    private const int MaxRedirects = 10;
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(30);

    private readonly RegistryOptions _options;
    private readonly HttpClient _http;
    private readonly RegistryAuthenticator _auth;
    private readonly TlsCertificateValidator _tls;
    private readonly ConcurrentDictionary<string, Lazy<Task<RegistryEndpoint>>> _endpoints = new(StringComparer.OrdinalIgnoreCase);

    public RegistryClient(RegistryOptions? options = null)
    {
        _options = options ?? new RegistryOptions();
        _tls = new TlsCertificateValidator(_options);
        var sockets = new SocketsHttpHandler
        {
            // Redirects are followed by hand so credentials never travel to another host.
            AllowAutoRedirect = false,
            // Layers are gzip files themselves: they must arrive byte for byte.
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = _options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 16,
            UseCookies = false,
        };
        sockets.SslOptions.RemoteCertificateValidationCallback = _tls.Validate;
        var handler = _options.WrapHandler?.Invoke(sockets) ?? sockets;
        // No overall timeout: a layer download may take long. Cancellation and retries bound the waiting instead.
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _auth = new RegistryAuthenticator(_http, _options);
    }

    public RegistryOptions Options => _options;

    /// <summary>Checks that the registry answers the v2 API (<c>GET /v2/</c>) and learns its scheme and auth challenge.</summary>
    public async Task PingAsync(string registry, CancellationToken cancellationToken = default) =>
        await GetEndpointAsync(registry, cancellationToken).ConfigureAwait(false);

    public void Dispose() => _http.Dispose();

    internal async Task<RegistryEndpoint> GetEndpointAsync(string registry, CancellationToken cancellationToken)
    {
        var lazy = _endpoints.GetOrAdd(registry, r => new Lazy<Task<RegistryEndpoint>>(() => ResolveEndpointAsync(r, CancellationToken.None)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Do not remember failures: the registry may be up on the next call.
            _endpoints.TryRemove(new KeyValuePair<string, Lazy<Task<RegistryEndpoint>>>(registry, lazy));
            throw;
        }
    }

    /// <summary>
    /// HTTPS, except for registries allowed plain HTTP (loopback, <see cref="RegistryOptions.InsecureRegistries"/>):
    /// those are tried over HTTP first and switch to HTTPS when the server answers 400 or hangs up, which is what a
    /// TLS port does with a plain request. A TLS endpoint is then still verified unless explicitly insecure.
    /// </summary>
    private async Task<RegistryEndpoint> ResolveEndpointAsync(string registry, CancellationToken cancellationToken)
    {
        var apiHost = RegistryEndpoint.ApiHost(registry);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                if (!_options.MayUsePlainHttp(registry))
                    return await PingSchemeAsync(registry, "https", apiHost, cancellationToken).ConfigureAwait(false);

                Exception? httpFailure = null;
                try
                {
                    return await PingSchemeAsync(registry, "http", apiHost, cancellationToken).ConfigureAwait(false);
                }
                catch (RegistryException e) when (e.StatusCode == HttpStatusCode.BadRequest || e.InnerException is HttpRequestException or IOException)
                {
                    httpFailure = e;
                }
                try
                {
                    return await PingSchemeAsync(registry, "https", apiHost, cancellationToken).ConfigureAwait(false);
                }
                catch (RegistryException e) when (e.InnerException is not null && !IsTlsFailure(e.InnerException))
                {
                    // Neither worked and TLS was not the problem: the plain-HTTP error is the relevant one.
                    throw httpFailure!;
                }
            }
            // A mirror is not waited for: the next source is asked instead.
            catch (RegistryException e) when (IsRetryablePingFailure(e, cancellationToken) && _options.Retry.CanRetry(attempt) && !_options.IsMirror(registry))
            {
                await Task.Delay(_options.Retry.GetDelay(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsRetryablePingFailure(RegistryException e, CancellationToken cancellationToken) =>
        e.StatusCode is { } status ? RetryPolicy.IsTransient(status) : e.InnerException is { } inner && RetryPolicy.IsTransient(inner, cancellationToken);

    private async Task<RegistryEndpoint> PingSchemeAsync(string registry, string scheme, string apiHost, CancellationToken cancellationToken)
    {
        var baseUri = new Uri($"{scheme}://{apiHost}/");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PingTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "/v2/"));
        request.Headers.UserAgent.ParseAdd(_options.UserAgent);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException(registry, null, $"{baseUri.Scheme}://{apiHost}/v2/ did not answer within {PingTimeout.TotalSeconds:0} s", inner: new TimeoutException(e.Message, e));
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException(registry, null, $"cannot reach {scheme}://{apiHost}/v2/: {Describe(e, apiHost)}", inner: e);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                _auth.RecordChallenge(registry, response);
            else if (!response.IsSuccessStatusCode)
                throw new RegistryException(registry, null,
                    $"{scheme}://{apiHost}/v2/ answered {(int)response.StatusCode} {response.ReasonPhrase}; not an OCI distribution (v2) registry endpoint",
                    response.StatusCode);
            return new RegistryEndpoint(registry, baseUri);
        }
    }

    /// <summary>
    /// Sends a request with authentication, redirects and retries. The caller owns (and checks) the returned response;
    /// only network failures and exhausted retries throw here.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken)
    {
        var endpoint = await GetEndpointAsync(request.Registry, cancellationToken).ConfigureAwait(false);
        var startUri = Uri.TryCreate(request.Target, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal)
            ? absolute : new Uri(endpoint.BaseUri, request.Target);
        var scopes = request.Scopes;
        bool authRetried = false;
        int redirects = 0;
        var uri = startUri;

        for (int attempt = 1; ; )
        {
            using var message = new HttpRequestMessage(request.Method, uri);
            message.Headers.UserAgent.ParseAdd(_options.UserAgent);
            request.Configure?.Invoke(message);
            if (request.Content is not null && request.Method != HttpMethod.Get && request.Method != HttpMethod.Head)
                message.Content = request.Content();
            bool sameHost = Uri.Compare(uri, endpoint.BaseUri, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;
            if (sameHost)
                message.Headers.Authorization = await _auth.GetAuthorizationAsync(request.Registry, request.Repository, scopes, cancellationToken).ConfigureAwait(false);

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (request.RetryTransient && RetryPolicy.IsTransient(e, cancellationToken) && _options.Retry.CanRetry(attempt))
            {
                await Task.Delay(_options.Retry.GetDelay(attempt++), cancellationToken).ConfigureAwait(false);
                uri = startUri;
                continue;
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new RegistryException(request.Registry, request.Repository, $"{request.Operation} failed: {Describe(e, uri.Host)}", inner: e);
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && sameHost && !authRetried)
            {
                authRetried = true;
                var (retry, widened) = await _auth.OnUnauthorizedAsync(request.Registry, response, scopes, message.Headers.Authorization is not null, cancellationToken).ConfigureAwait(false);
                if (retry)
                {
                    scopes = widened;
                    response.Dispose();
                    continue;
                }
            }

            if (request.FollowRedirects && IsRedirect(response.StatusCode) && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (++redirects > MaxRedirects)
                    throw new RegistryException(request.Registry, request.Repository, $"{request.Operation} failed: more than {MaxRedirects} redirects");
                uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                continue;
            }

            if (request.RetryTransient && RetryPolicy.IsTransient(response.StatusCode) && _options.Retry.CanRetry(attempt))
            {
                var delay = _options.Retry.GetDelay(attempt++, response.Headers.RetryAfter);
                response.Dispose();
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                uri = startUri; // a redirect target (e.g. a signed storage URL) may have expired; start over
                redirects = 0;
                continue;
            }
            return response;
        }
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>Builds the exception for an unsuccessful answer, with the registry's own error code and message.</summary>
    internal async Task<RegistryException> ErrorAsync(RegistryRequest request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? code = null, detail = null;
        try
        {
            var body = await RegistryAuthenticator.ReadLimitedAsync(response, cancellationToken).ConfigureAwait(false);
            if (body.Length > 0)
            {
                var parsed = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.ErrorResponse);
                var first = parsed?.Errors?.FirstOrDefault();
                code = first?.Code;
                detail = first is not null ? $"{first.Code}: {first.Message}" : parsed?.Message ?? parsed?.Details;
            }
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
            // An unreadable error body still leaves the status code to report.
        }

        var message = $"{request.Operation} failed: {(int)response.StatusCode} {response.ReasonPhrase}";
        if (!string.IsNullOrWhiteSpace(detail)) message += ": " + detail;
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            message += await _auth.HasCredentialAsync(request.Registry, cancellationToken).ConfigureAwait(false)
                ? " (credentials were refused)"
                : " (no credentials configured for this registry: docker login, or CSBUILD_REGISTRY_USERNAME/PASSWORD)";
        return new RegistryException(request.Registry, request.Repository, message, response.StatusCode, code);
    }

    internal async Task EnsureSuccessAsync(RegistryRequest request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(request, response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A readable cause for a network failure, with TLS refusals explained.</summary>
    private string Describe(Exception exception, string host)
    {
        if (exception is OperationCanceledException) return "timed out";
        if (IsTlsFailure(exception))
        {
            var reason = _tls.LastFailure(TlsCertificateValidator.HostPart(host)) ?? Innermost(exception).Message;
            return $"TLS certificate of {host} refused ({reason}); trust its CA with RegistryOptions.TrustedRootCertificates";
        }
        var inner = Innermost(exception);
        return inner == exception ? exception.Message : $"{exception.Message} ({inner.Message})";
    }

    private static bool IsTlsFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is AuthenticationException) return true;
        return false;
    }

    private static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
