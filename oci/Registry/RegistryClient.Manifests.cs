using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Registry;

public sealed partial class RegistryClient
{
    private static readonly string[] ManifestAcceptTypes =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    private const int MaxTagPages = 1000;

    /// <summary>
    /// Fetches a manifest or index by tag or digest. The digest of the bytes is computed and must match the
    /// registry's <c>Docker-Content-Digest</c> header and, when pulling by digest, the requested digest.
    /// </summary>
    public async Task<ManifestResponse> GetManifestAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        foreach (var mirror in MirrorsToAsk(reference.Registry))
        {
            try
            {
                return await GetManifestOnceAsync(reference.OnRegistry(mirror), cancellationToken, retryTransient: false).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RegistryException or BrokenManifestReadException)
            {
                NoteMirrorFailure(mirror, e);
            }
        }
        // A connection that breaks while the body is read is retried like one that breaks before the answer.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await GetManifestOnceAsync(reference, cancellationToken).ConfigureAwait(false);
            }
            catch (BrokenManifestReadException broken)
            {
                if (!_options.Retry.CanRetry(attempt)) throw broken.Error;
                await Task.Delay(_options.Retry.GetDelay(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private sealed class BrokenManifestReadException(RegistryException error) : Exception(error.Message, error)
    {
        public RegistryException Error { get; } = error;
    }

    private async Task<ManifestResponse> GetManifestOnceAsync(ImageReference reference, CancellationToken cancellationToken, bool retryTransient = true)
    {
        var request = ManifestRequest(reference, HttpMethod.Get, $"fetch manifest {reference.ManifestReference}",
            RegistryRequest.PullScope(reference.Repository), retryTransient);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);

        if (response.Content.Headers.ContentLength > _options.MaxManifestSize)
            throw Fail(request, $"manifest is {response.Content.Headers.ContentLength} bytes, more than the {_options.MaxManifestSize} allowed");
        byte[] content;
        try
        {
            content = await Auth.RegistryAuthenticator.ReadLimitedAsync(response, cancellationToken, _options.MaxManifestSize + 1).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new BrokenManifestReadException(
                new RegistryException(request.Registry, request.Repository, $"{request.Operation} failed: connection broke: {e.Message}", inner: e));
        }
        if (content.Length > _options.MaxManifestSize)
            throw Fail(request, $"manifest is more than the {_options.MaxManifestSize} bytes allowed");

        var headerDigest = ParseDigestHeader(response.Headers);
        var algorithm = reference.Digest?.Algorithm ?? headerDigest?.Algorithm ?? "sha256";
        var actual = ComputeDigest(algorithm, content);
        if (reference.Digest is { } requested && requested != actual)
            throw Fail(request, $"digest mismatch: requested {requested}, content hashes to {actual}");
        if (headerDigest is { } claimed && claimed.Algorithm == algorithm && claimed != actual)
            throw Fail(request, $"digest mismatch: registry says {claimed}, content hashes to {actual}");

        return new ManifestResponse(content, DetermineMediaType(response, content), actual);
    }

    /// <summary>
    /// The digest the registry holds under a tag or digest (<c>HEAD</c>, nothing downloaded); null when it has no such
    /// manifest or does not say (no <c>Docker-Content-Digest</c>). Asks with push scope, as callers are about to push.
    /// </summary>
    public async Task<Digest?> HeadManifestDigestAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        var request = ManifestRequest(reference, HttpMethod.Head, $"check manifest {reference.ManifestReference}",
            RegistryRequest.PushScope(reference.Repository));
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
        return ParseDigestHeader(response.Headers);
    }

    /// <summary>A GET or HEAD of a manifest by tag or digest, accepting every manifest and index type.</summary>
    private static RegistryRequest ManifestRequest(ImageReference reference, HttpMethod method, string operation, IReadOnlyList<string> scopes,
        bool retryTransient = true) => new()
    {
        Registry = reference.Registry,
        Repository = reference.Repository,
        Operation = operation,
        Method = method,
        Target = $"/v2/{reference.Repository}/manifests/{reference.ManifestReference}",
        Scopes = scopes,
        RetryTransient = retryTransient,
        Configure = m =>
        {
            foreach (var type in ManifestAcceptTypes) m.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        },
    };

    /// <summary>
    /// Uploads a manifest under the reference's tag (or, without a tag, its digest). All blobs it names must already be
    /// in the repository. Returns the manifest's digest.
    /// </summary>
    public async Task<Digest> PutManifestAsync(ImageReference reference, byte[] manifest, string mediaType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        var digest = Digest.Of(manifest);
        if (reference.Digest is { } pinned && pinned != ComputeDigest(pinned.Algorithm, manifest))
            throw new ArgumentException($"manifest content hashes to {digest}, not {pinned} as the reference {reference.Familiar} says", nameof(reference));

        var target = reference.Tag ?? reference.Digest!.Value.ToString();
        var request = new RegistryRequest
        {
            Registry = reference.Registry,
            Repository = reference.Repository,
            Operation = $"push manifest {target}",
            Method = HttpMethod.Put,
            Target = $"/v2/{reference.Repository}/manifests/{target}",
            Scopes = RegistryRequest.PushScope(reference.Repository),
            Content = () =>
            {
                var content = new ByteArrayContent(manifest);
                content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return content;
            },
        };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
        if (ParseDigestHeader(response.Headers) is { Algorithm: "sha256" } stored && stored != digest)
            throw Fail(request, $"registry stored the manifest as {stored}, but its content hashes to {digest}");
        return digest;
    }

    /// <summary>Lists a repository's tags, following <c>Link: rel="next"</c> pagination.</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(RepositoryName repository, CancellationToken cancellationToken = default)
    {
        var tags = new List<string>();
        string? target = $"/v2/{repository.Repository}/tags/list";
        for (int page = 0; target is not null; page++)
        {
            if (page >= MaxTagPages)
                throw new RegistryException(repository.Registry, repository.Repository, $"list tags: more than {MaxTagPages} pages");
            var request = new RegistryRequest
            {
                Registry = repository.Registry,
                Repository = repository.Repository,
                Operation = "list tags",
                Target = target,
                Scopes = RegistryRequest.PullScope(repository.Repository),
            };
            using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
            TagList? list;
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                list = await JsonSerializer.DeserializeAsync(body, RegistryJsonContext.Default.TagList, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                throw Fail(request, "tag list is not valid JSON: " + e.Message);
            }
            if (list?.Tags is not null) tags.AddRange(list.Tags);
            target = NextPageLink(response.Headers, response.RequestMessage?.RequestUri);
        }
        return tags;
    }

    private static string? NextPageLink(HttpResponseHeaders headers, Uri? current)
    {
        if (!headers.TryGetValues("Link", out var values)) return null;
        foreach (var value in values)
        {
            // <url>; rel="next"
            int open = value.IndexOf('<'), close = value.IndexOf('>');
            if (open < 0 || close <= open || !value[close..].Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase)) continue;
            var link = value[(open + 1)..close];
            return current is not null && Uri.TryCreate(current, link, out var absolute) ? absolute.ToString() : link;
        }
        return null;
    }

    private static string DetermineMediaType(HttpResponseMessage response, byte[] content)
    {
        var declared = response.Content.Headers.ContentType?.MediaType;
        if (declared is { Length: > 0 } && declared.StartsWith("application/vnd.", StringComparison.Ordinal)) return declared;
        // Some registries answer application/json or text/plain; the document's own mediaType field is then authoritative.
        try
        {
            return OciJson.PeekMediaType(content) ?? declared ?? MediaTypes.OciManifest;
        }
        catch (InvalidDataException)
        {
            return declared ?? MediaTypes.OciManifest;
        }
    }

    internal static Digest? ParseDigestHeader(HttpResponseHeaders headers) =>
        headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault()?.Trim(), out var digest) ? digest : null;

    internal static Digest ComputeDigest(string algorithm, byte[] content) => algorithm switch
    {
        "sha256" => Digest.Of(content),
        "sha512" => new Digest("sha512", Convert.ToHexStringLower(SHA512.HashData(content))),
        _ => throw new NotSupportedException($"digest algorithm '{algorithm}' is not supported"),
    };

    private static RegistryException Fail(RegistryRequest request, string message, HttpStatusCode? status = null) =>
        new(request.Registry, request.Repository, $"{request.Operation}: {message}", status);
}
