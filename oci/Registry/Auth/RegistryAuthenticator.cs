using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Csbuild.Oci.Registry.Credentials;

namespace Csbuild.Oci.Registry.Auth;

/// <summary>
/// Produces the Authorization header for registry requests: Basic with stored credentials, or a Bearer token
/// obtained from the token server named in the registry's challenge (anonymously when no credentials are known).
/// Tokens are cached per registry and scope set until shortly before they expire.
/// </summary>
internal sealed class RegistryAuthenticator(HttpClient http, RegistryOptions options)
{
    // Refresh a little early so a token does not expire between the check and the request.
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(10);
    // Docker's token spec: "if expires_in is absent, a default of 60 seconds should be assumed".
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);
    private const int MaxErrorBodyBytes = 16 * 1024;
    private const int MaxTokenBodyBytes = 1024 * 1024;

    private readonly ConcurrentDictionary<string, HostState> _hosts = new(StringComparer.OrdinalIgnoreCase);

    private sealed class HostState
    {
        public volatile AuthChallenge? Challenge;
        public Task<RegistryCredential?>? Credential;
        public readonly ConcurrentDictionary<string, CachedToken> Tokens = new();
        public readonly SemaphoreSlim TokenLock = new(1, 1);
    }

    private sealed record CachedToken(string Value, DateTimeOffset ExpiresAt);

    private HostState State(string registry) => _hosts.GetOrAdd(registry, _ => new HostState());

    /// <summary>Remembers the challenge a 401 answer (from a ping or any request) carried.</summary>
    public AuthChallenge? RecordChallenge(string registry, HttpResponseMessage unauthorized)
    {
        var challenge = AuthChallenge.Select(unauthorized.Headers);
        if (challenge is not null) State(registry).Challenge = challenge;
        return challenge;
    }

    public bool KnowsChallenge(string registry) => State(registry).Challenge is not null;

    /// <returns>The header to send, or null when the registry has not asked for authentication (yet).</returns>
    public async Task<AuthenticationHeaderValue?> GetAuthorizationAsync(string registry, string? repository, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var state = State(registry);
        var challenge = state.Challenge;
        if (challenge is null) return null;

        var credential = await GetCredentialAsync(registry, state, cancellationToken).ConfigureAwait(false);
        if (challenge.IsBasic)
            return credential is { HasBasic: true } ? BasicHeader(credential) : null;

        var key = ScopeKey(scopes);
        if (state.Tokens.TryGetValue(key, out var cached) && cached.ExpiresAt > DateTimeOffset.UtcNow)
            return new AuthenticationHeaderValue("Bearer", cached.Value);

        await state.TokenLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (state.Tokens.TryGetValue(key, out cached) && cached.ExpiresAt > DateTimeOffset.UtcNow)
                return new AuthenticationHeaderValue("Bearer", cached.Value);
            var token = await FetchTokenAsync(registry, repository, challenge, scopes, credential, cancellationToken).ConfigureAwait(false);
            state.Tokens[key] = token;
            return new AuthenticationHeaderValue("Bearer", token.Value);
        }
        finally
        {
            state.TokenLock.Release();
        }
    }

    /// <summary>
    /// Handles a 401 answer: records its challenge, drops the token that was refused and widens the scopes by what
    /// the registry asked for. Returns false when retrying cannot help (Basic auth already sent, or none possible).
    /// </summary>
    public async Task<(bool Retry, IReadOnlyList<string> Scopes)> OnUnauthorizedAsync(string registry, HttpResponseMessage response,
        IReadOnlyList<string> scopes, bool sentAuthorization, CancellationToken cancellationToken)
    {
        var state = State(registry);
        var challenge = RecordChallenge(registry, response);
        if (challenge is null) return (false, scopes);
        if (challenge.IsBasic)
        {
            // A retry only helps if we did not send credentials yet and we have some to send now.
            var credential = await GetCredentialAsync(registry, state, cancellationToken).ConfigureAwait(false);
            return (!sentAuthorization && credential is { HasBasic: true }, scopes);
        }
        state.Tokens.TryRemove(ScopeKey(scopes), out _);
        var widened = scopes.Union(challenge.Scopes).ToList();
        return (true, widened);
    }

    /// <summary>Whether any credentials are configured for the registry (for error messages).</summary>
    public async Task<bool> HasCredentialAsync(string registry, CancellationToken cancellationToken) =>
        await GetCredentialAsync(registry, State(registry), cancellationToken).ConfigureAwait(false) is not null;

    private Task<RegistryCredential?> GetCredentialAsync(string registry, HostState state, CancellationToken cancellationToken)
    {
        var task = state.Credential;
        if (task is null || task.IsFaulted || task.IsCanceled)
        {
            task = LoadCredentialAsync(registry, cancellationToken);
            state.Credential = task;
        }
        return task;
    }

    private async Task<RegistryCredential?> LoadCredentialAsync(string registry, CancellationToken cancellationToken)
    {
        try
        {
            return await options.Credentials.GetCredentialAsync(registry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new RegistryException(registry, null, "could not read credentials: " + e.Message, inner: e);
        }
    }

    private async Task<CachedToken> FetchTokenAsync(string registry, string? repository, AuthChallenge challenge, IReadOnlyList<string> scopes,
        RegistryCredential? credential, CancellationToken cancellationToken)
    {
        if (challenge.Realm is not { Length: > 0 } realmText || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm)
            || realm.Scheme is not ("https" or "http"))
            throw new RegistryException(registry, repository, $"Bearer challenge has no usable realm ('{challenge.Realm}')");

        var allScopes = scopes.Union(challenge.Scopes).ToList();
        var realmForMessages = realm.GetLeftPart(UriPartial.Path);
        for (int attempt = 1; ; attempt++)
        {
            using var request = credential?.IdentityToken is { } refreshToken
                ? OAuthRefreshRequest(realm, challenge.Service, allScopes, refreshToken)
                : TokenGetRequest(realm, challenge.Service, allScopes, credential);
            request.Headers.UserAgent.ParseAdd(options.UserAgent);

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (RetryPolicy.IsTransient(e, cancellationToken) && options.Retry.CanRetry(attempt))
            {
                await Task.Delay(options.Retry.GetDelay(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (HttpRequestException e)
            {
                throw new RegistryException(registry, repository, $"token server {realmForMessages} unreachable: {e.Message}", inner: e);
            }

            using (response)
            {
                if (RetryPolicy.IsTransient(response.StatusCode) && options.Retry.CanRetry(attempt))
                {
                    await Task.Delay(options.Retry.GetDelay(attempt, response.Headers.RetryAfter), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var body = await ReadLimitedAsync(response, cancellationToken, MaxTokenBodyBytes).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    var reason = DescribeTokenError(body);
                    var what = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                        ? (credential is null ? "anonymous access refused" : "authentication failed")
                        : "token request failed";
                    throw new RegistryException(registry, repository,
                        $"{what}: token server {realmForMessages} answered {(int)response.StatusCode} {response.ReasonPhrase}{reason}",
                        response.StatusCode, response.StatusCode == HttpStatusCode.Unauthorized ? "UNAUTHORIZED" : null);
                }
                return ParseToken(registry, repository, body, realmForMessages);
            }
        }
    }

    private static HttpRequestMessage TokenGetRequest(Uri realm, string? service, IReadOnlyList<string> scopes, RegistryCredential? credential)
    {
        var query = new StringBuilder(realm.Query.TrimStart('?'));
        void Add(string name, string value)
        {
            if (query.Length > 0) query.Append('&');
            query.Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }
        if (!string.IsNullOrEmpty(service)) Add("service", service);
        foreach (var scope in scopes) Add("scope", scope);
        if (credential is { HasBasic: true }) Add("account", credential.Username!);
        var uri = new UriBuilder(realm) { Query = query.ToString() }.Uri;
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (credential is { HasBasic: true }) request.Headers.Authorization = BasicHeader(credential);
        return request;
    }

    /// <summary>The OAuth2 refresh-token grant Docker uses when <c>docker login</c> stored an identity token.</summary>
    private static HttpRequestMessage OAuthRefreshRequest(Uri realm, string? service, IReadOnlyList<string> scopes, string refreshToken)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "refresh_token"),
            new("refresh_token", refreshToken),
            new("client_id", "csbuild"),
            new("scope", string.Join(' ', scopes)),
        };
        if (!string.IsNullOrEmpty(service)) form.Add(new("service", service));
        return new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
    }

    private static CachedToken ParseToken(string registry, string? repository, byte[] body, string realm)
    {
        TokenResponse? response;
        try
        {
            response = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.TokenResponse);
        }
        catch (JsonException e)
        {
            throw new RegistryException(registry, repository, $"token server {realm} sent invalid JSON: {e.Message}", inner: e);
        }
        var token = response?.Token is { Length: > 0 } t ? t : response?.AccessToken;
        if (string.IsNullOrEmpty(token))
            throw new RegistryException(registry, repository, $"token server {realm} sent neither 'token' nor 'access_token'");

        var lifetime = response!.ExpiresIn is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : DefaultTokenLifetime;
        var issued = response.IssuedAt is { } at && at <= DateTimeOffset.UtcNow ? at : DateTimeOffset.UtcNow;
        var usableFor = lifetime > ExpiryMargin * 2 ? lifetime - ExpiryMargin : lifetime / 2;
        return new CachedToken(token, issued + usableFor);
    }

    private static string DescribeTokenError(byte[] body)
    {
        if (body.Length == 0) return "";
        try
        {
            var error = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.ErrorResponse);
            var first = error?.Errors?.FirstOrDefault();
            var text = first is not null ? $"{first.Code}: {first.Message}"
                : error?.Details ?? error?.ErrorDescription ?? error?.Message ?? error?.Error;
            return string.IsNullOrWhiteSpace(text) ? "" : ": " + text;
        }
        catch (JsonException)
        {
            return "";
        }
    }

    /// <summary>Reads a small response body (error or token JSON), at most <paramref name="limit"/> bytes.</summary>
    internal static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, CancellationToken cancellationToken, int limit = MaxErrorBodyBytes)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var collected = new MemoryStream();
        var buffer = new byte[Math.Min(limit, 16 * 1024)];
        int read;
        while (collected.Length < limit && (read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - collected.Length)), cancellationToken).ConfigureAwait(false)) > 0)
            collected.Write(buffer, 0, read);
        return collected.ToArray();
    }

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));

    private static string ScopeKey(IReadOnlyList<string> scopes) => string.Join(' ', scopes.Order(StringComparer.Ordinal));
}
