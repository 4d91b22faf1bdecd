using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Registry;

public sealed partial class RegistryClient
{
    /// <summary>
    /// Makes sure the repository has the blob: nothing is sent if it is already there (HEAD), it is mounted from
    /// <paramref name="mountFromRepository"/> (same registry) when the registry allows, and otherwise uploaded,
    /// in one PUT up to <see cref="RegistryOptions.ChunkedUploadThreshold"/> or in PATCH chunks above it.
    /// </summary>
    /// <param name="openContent">Opens the blob content at its start; called again when an upload has to be restarted.</param>
    public async Task<BlobPushResult> PushBlobAsync(RepositoryName repository, Digest digest, long size, Func<Stream> openContent,
        string? mountFromRepository = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(openContent);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (await BlobExistsAsync(repository, digest, cancellationToken).ConfigureAwait(false))
        {
            progress?.Report(size);
            return BlobPushResult.AlreadyExists;
        }

        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var location = await StartUploadAsync(repository, digest, mountFromRepository, cancellationToken).ConfigureAwait(false);
                if (location is null)
                {
                    progress?.Report(size);
                    return BlobPushResult.Mounted;
                }
                if (size <= _options.ChunkedUploadThreshold)
                    await UploadMonolithicAsync(repository, digest, size, openContent, location, progress, cancellationToken).ConfigureAwait(false);
                else
                    await UploadChunkedAsync(repository, digest, size, openContent, location, progress, cancellationToken).ConfigureAwait(false);
                return BlobPushResult.Uploaded;
            }
            catch (InterruptedUploadException e)
            {
                if (!_options.Retry.CanRetry(attempt)) throw e.Error;
                await Task.Delay(_options.Retry.GetDelay(attempt, e.RetryAfter), cancellationToken).ConfigureAwait(false);
                // The interrupted try may have completed on the server although its answer was lost.
                if (await BlobExistsAsync(repository, digest, cancellationToken).ConfigureAwait(false)) return BlobPushResult.Uploaded;
            }
        }
    }

    /// <summary>Opens an upload session (POST); returns its location, or null when the blob was mounted instead.</summary>
    /// <param name="digest">The blob, when known (needed to mount); null for a blob still being produced.</param>
    private async Task<string?> StartUploadAsync(RepositoryName repository, Digest? digest, string? mountFrom, CancellationToken cancellationToken)
    {
        bool mount = digest is not null && !string.IsNullOrEmpty(mountFrom) && mountFrom != repository.Repository;
        var request = new RegistryRequest
        {
            Registry = repository.Registry,
            Repository = repository.Repository,
            Operation = mount ? $"mount blob {digest} from {mountFrom}" : digest is null ? "start upload of a blob" : $"start upload of blob {digest}",
            Method = HttpMethod.Post,
            Target = mount
                ? $"/v2/{repository.Repository}/blobs/uploads/?mount={Uri.EscapeDataString(digest!.Value.ToString())}&from={Uri.EscapeDataString(mountFrom!)}"
                : $"/v2/{repository.Repository}/blobs/uploads/",
            Scopes = mount
                ? [.. RegistryRequest.PushScope(repository.Repository), .. RegistryRequest.PullScope(mountFrom!)]
                : RegistryRequest.PushScope(repository.Repository),
            Content = () => new ByteArrayContent([]),
        };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (mount && response.StatusCode == HttpStatusCode.Created) return null;
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw await ErrorAsync(request, response, cancellationToken).ConfigureAwait(false);
        return UploadLocation(request, response);
    }

    private async Task UploadMonolithicAsync(RepositoryName repository, Digest digest, long size, Func<Stream> openContent, string location,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await using var source = openContent();
        var request = new RegistryRequest
        {
            Registry = repository.Registry,
            Repository = repository.Repository,
            Operation = $"upload blob {digest}",
            Method = HttpMethod.Put,
            Target = WithDigestQuery(location, digest),
            Scopes = RegistryRequest.PushScope(repository.Repository),
            Content = SendOnce(repository, $"blob {digest}", () => new UploadContent(source, size, 0, progress)),
            RetryTransient = false, // the session may hold part of the body now; the whole push is retried instead
        };
        using var response = await SendUploadAsync(request, cancellationToken).ConfigureAwait(false);
        await ThrowUnlessAsync(request, response, HttpStatusCode.Created, cancellationToken).ConfigureAwait(false);
    }

    private async Task UploadChunkedAsync(RepositoryName repository, Digest digest, long size, Func<Stream> openContent, string location,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var source = new RepositionableSource(openContent);
        long offset = 0;
        int interruptions = 0;
        while (offset < size)
        {
            long length = Math.Min(_options.UploadChunkSize, size - offset);
            var stream = await source.AtAsync(offset, cancellationToken).ConfigureAwait(false);
            long chunkStart = offset;
            var request = new RegistryRequest
            {
                Registry = repository.Registry,
                Repository = repository.Repository,
                Operation = $"upload blob {digest} bytes {chunkStart}-{chunkStart + length - 1}",
                Method = HttpMethod.Patch,
                Target = location,
                Scopes = RegistryRequest.PushScope(repository.Repository),
                Content = SendOnce(repository, $"blob {digest}", () =>
                {
                    var content = new UploadContent(stream, length, chunkStart, progress);
                    content.Headers.TryAddWithoutValidation("Content-Range", $"{chunkStart}-{chunkStart + length - 1}");
                    return content;
                }),
                RetryTransient = false,
            };
            try
            {
                using var response = await SendUploadAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                    throw new InterruptedUploadException(await ErrorAsync(request, response, cancellationToken).ConfigureAwait(false), null);
                await ThrowUnlessAsync(request, response, HttpStatusCode.Accepted, cancellationToken).ConfigureAwait(false);
                location = UploadLocation(request, response);
                offset = ConfirmedOffset(response.Headers, chunkStart + length) ?? chunkStart + length;
                if (offset > chunkStart + length || offset < 0)
                    throw new RegistryException(repository.Registry, repository.Repository,
                        $"{request.Operation}: registry claims {offset} bytes received, more than were sent");
                source.Advanced(stream, chunkStart + length); // UploadContent consumed exactly the chunk
            }
            catch (InterruptedUploadException e) when (_options.Retry.CanRetry(++interruptions))
            {
                source.Advanced(stream, -1); // unknown how much of the chunk was consumed
                await Task.Delay(_options.Retry.GetDelay(interruptions, e.RetryAfter), cancellationToken).ConfigureAwait(false);
                // Ask the registry how much it has and go on from there; a lost session restarts the push.
                (location, offset) = await GetUploadStatusAsync(repository, digest, location, cancellationToken).ConfigureAwait(false);
            }
        }

        var finish = CompleteUploadRequest(repository, location, digest);
        using var finished = await SendUploadAsync(finish, cancellationToken).ConfigureAwait(false);
        await ThrowUnlessAsync(finish, finished, HttpStatusCode.Created, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>PUT &lt;location&gt;?digest=</c> with no body: the session's bytes become the blob, if they hash to <paramref name="digest"/>.</summary>
    private static RegistryRequest CompleteUploadRequest(RepositoryName repository, string location, Digest digest) => new()
    {
        Registry = repository.Registry,
        Repository = repository.Repository,
        Operation = $"complete upload of blob {digest}",
        Method = HttpMethod.Put,
        Target = WithDigestQuery(location, digest),
        Scopes = RegistryRequest.PushScope(repository.Repository),
        Content = () => new ByteArrayContent([]),
        RetryTransient = false,
    };

    /// <summary><c>GET &lt;location&gt;</c>: the registry's view of an upload session (its Range header).</summary>
    private async Task<(string Location, long Offset)> GetUploadStatusAsync(RepositoryName repository, Digest digest, string location, CancellationToken cancellationToken)
    {
        var request = new RegistryRequest
        {
            Registry = repository.Registry,
            Repository = repository.Repository,
            Operation = $"query upload of blob {digest}",
            Target = location,
            Scopes = RegistryRequest.PushScope(repository.Repository),
        };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NoContent && !response.IsSuccessStatusCode)
            throw new InterruptedUploadException(await ErrorAsync(request, response, cancellationToken).ConfigureAwait(false), null);
        var newLocation = response.Headers.Location is null ? location : UploadLocation(request, response);
        return (newLocation, ConfirmedOffset(response.Headers, 0) ?? 0);
    }

    /// <summary>
    /// A body factory for a streamed upload. SendAsync asks for a second body only when re-authenticating after a 401;
    /// the source stream has moved on by then, so the try is abandoned and the upload logic repositions or restarts.
    /// </summary>
    private static Func<HttpContent> SendOnce(RepositoryName repository, string blob, Func<HttpContent> create)
    {
        bool created = false;
        return () =>
        {
            if (created)
                throw new InterruptedUploadException(new RegistryException(repository.Registry, repository.Repository,
                    $"upload {blob}: authorization was refused mid-upload"), null);
            created = true;
            return create();
        };
    }

    /// <summary>Sends an upload request; turns retryable failures into <see cref="InterruptedUploadException"/>.</summary>
    private async Task<HttpResponseMessage> SendUploadAsync(RegistryRequest request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e) when (e.InnerException is { } inner && RetryPolicy.IsTransient(inner, cancellationToken))
        {
            throw new InterruptedUploadException(e, null);
        }
        catch (RegistryException e) when (FindInner<InvalidDataException>(e) is { } badContent)
        {
            throw new RegistryException(e.Registry, e.Repository, $"{request.Operation} failed: {badContent.Message}", inner: badContent);
        }
        catch (InvalidDataException badContent)
        {
            // The content stream (not the network) failed; the handler passes such exceptions through unwrapped.
            throw new RegistryException(request.Registry, request.Repository, $"{request.Operation} failed: {badContent.Message}", inner: badContent);
        }
        if (RetryPolicy.IsTransient(response.StatusCode))
        {
            using (response)
                throw new InterruptedUploadException(await ErrorAsync(request, response, cancellationToken).ConfigureAwait(false), response.Headers.RetryAfter);
        }
        return response;
    }

    private async Task ThrowUnlessAsync(RegistryRequest request, HttpResponseMessage response, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        // Registries differ in the exact 2xx; accept any success but report a wrong one precisely.
        if (response.StatusCode != expected && !response.IsSuccessStatusCode)
            throw await ErrorAsync(request, response, cancellationToken).ConfigureAwait(false);
    }

    private static string UploadLocation(RegistryRequest request, HttpResponseMessage response)
    {
        var location = response.Headers.Location
            ?? throw new RegistryException(request.Registry, request.Repository, $"{request.Operation}: registry answered {(int)response.StatusCode} without a Location header");
        var baseUri = response.RequestMessage?.RequestUri;
        return location.IsAbsoluteUri ? location.ToString() : baseUri is not null ? new Uri(baseUri, location).ToString() : location.ToString();
    }

    private static string WithDigestQuery(string location, Digest digest) =>
        location + (location.Contains('?') ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest.ToString());

    /// <summary>The next byte the registry expects, from <c>Range: 0-&lt;last&gt;</c> (some registries prefix <c>bytes=</c>).</summary>
    internal static long? ConfirmedOffset(HttpResponseHeaders headers, long previousOffset)
    {
        if (!headers.NonValidated.TryGetValues("Range", out var values)) return null;
        var text = values.FirstOrDefault()?.Trim() ?? "";
        if (text.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) text = text[6..];
        int dash = text.IndexOf('-');
        if (dash <= 0 || !long.TryParse(text[..dash], out var start) || !long.TryParse(text[(dash + 1)..], out var end)) return null;
        // Distribution answers "0-0" for an empty session as well as for one holding a single byte.
        if (start == 0 && end == 0 && previousOffset == 0) return 0;
        return end + 1;
    }

    private static T? FindInner<T>(Exception exception) where T : Exception
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
            if (e is T match) return match;
        return null;
    }

    /// <summary>An upload try failed in a way worth repeating (network break, 429, 5xx, lost range).</summary>
    private sealed class InterruptedUploadException(RegistryException error, RetryConditionHeaderValue? retryAfter) : Exception(error.Message, error)
    {
        public RegistryException Error { get; } = error;
        public RetryConditionHeaderValue? RetryAfter { get; } = retryAfter;
    }

    /// <summary>
    /// The content of a chunked upload, positioned at any offset: seeks when it can, otherwise reopens and skips.
    /// </summary>
    private sealed class RepositionableSource(Func<Stream> open) : IDisposable
    {
        private Stream? _stream;
        private long _position = -1;

        public async ValueTask<Stream> AtAsync(long offset, CancellationToken cancellationToken)
        {
            if (_stream is not null && _position == offset) return _stream;
            if (_stream is { CanSeek: true })
            {
                _stream.Seek(offset, SeekOrigin.Begin);
                _position = offset;
                return _stream;
            }
            if (_stream is null || _position < 0 || _position > offset)
            {
                _stream?.Dispose();
                _stream = open();
                _position = 0;
                if (_stream.CanSeek && offset > 0)
                {
                    _stream.Seek(offset, SeekOrigin.Begin);
                    _position = offset;
                    return _stream;
                }
            }
            var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
            try
            {
                while (_position < offset)
                {
                    int read = await _stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, offset - _position)), cancellationToken).ConfigureAwait(false);
                    if (read == 0) throw new InvalidDataException($"blob content ended at byte {_position}, before the upload offset {offset}");
                    _position += read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return _stream;
        }

        /// <summary>Records where the stream stands after a chunk: the new offset, or -1 when unknown.</summary>
        public void Advanced(Stream stream, long position)
        {
            if (ReferenceEquals(stream, _stream)) _position = position;
        }

        public void Dispose() => _stream?.Dispose();
    }
}
