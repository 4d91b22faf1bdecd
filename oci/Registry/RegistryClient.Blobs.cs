using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Registry;

public sealed partial class RegistryClient
{
    internal const int CopyBufferSize = 128 * 1024;

    /// <summary>Whether the repository has the blob (<c>HEAD /v2/&lt;repo&gt;/blobs/&lt;digest&gt;</c>).</summary>
    public async Task<bool> BlobExistsAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken = default)
    {
        var request = new RegistryRequest
        {
            Registry = repository.Registry,
            Repository = repository.Repository,
            Operation = $"check blob {digest}",
            Method = HttpMethod.Head,
            Target = $"/v2/{repository.Repository}/blobs/{digest}",
            Scopes = RegistryRequest.PullScope(repository.Repository),
            FollowRedirects = true,
        };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Streams a blob into <paramref name="destination"/> while hashing it. A broken connection resumes with a Range
    /// request (bounded by the retry policy). Throws <see cref="RegistryException"/> on "digest mismatch" or "truncated blob";
    /// the destination then holds unverified bytes, so callers write to a temporary file and commit only on success.
    /// </summary>
    public async Task FetchBlobAsync(RepositoryName repository, Digest digest, long? expectedSize, Stream destination,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        foreach (var mirror in MirrorsToAsk(repository.Registry))
        {
            var counted = new CountingWriteStream(destination);
            try
            {
                await FetchBlobFromAsync(new RepositoryName(mirror, repository.Repository), digest, expectedSize, counted, progress,
                    retry: false, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RegistryException e) when (counted.Written == 0)
            {
                NoteMirrorFailure(mirror, e); // nothing reached the destination: the next source starts clean
            }
        }
        await FetchBlobFromAsync(repository, digest, expectedSize, destination, progress, retry: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task FetchBlobFromAsync(RepositoryName repository, Digest digest, long? expectedSize, Stream destination,
        IProgress<long>? progress, bool retry, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmFor(digest));
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        long received = 0;
        long? totalSize = expectedSize;
        int interruptions = 0;
        Exception? lastBreak = null;
        try
        {
            while (true)
            {
                var request = BlobGetRequest(repository, digest, resumeFrom: received, retry);
                using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
                await EnsureSuccessAsync(request, response, cancellationToken).ConfigureAwait(false);

                long skip = 0;
                if (received > 0)
                {
                    var range = response.Content.Headers.ContentRange;
                    if (response.StatusCode == HttpStatusCode.PartialContent && range?.From != received)
                        throw Fail(request, $"registry resumed at byte {range?.From} instead of {received}");
                    // A server that ignores Range sends everything again: read past what we already have.
                    if (response.StatusCode != HttpStatusCode.PartialContent) skip = received;
                }
                totalSize ??= ReportedSize(response);
                if (expectedSize is { } want && ReportedSize(response) is { } reported && reported != want)
                    throw Fail(request, $"size mismatch: registry reports {reported} bytes, expected {want}");

                var (copied, breakCause) = await CopyBodyAsync(request, response, buffer, hash, destination, skip, received, expectedSize, progress,
                    cancellationToken).ConfigureAwait(false);
                received += copied;
                if (breakCause is null && (totalSize is null || received >= totalSize)) break;

                lastBreak = breakCause;
                if (!retry || !_options.Retry.CanRetry(++interruptions))
                    throw Fail(request, $"truncated blob: received {received} of {totalSize?.ToString() ?? "?"} bytes"
                        + (breakCause is null ? "" : $" ({breakCause.Message})"));
                await Task.Delay(_options.Retry.GetDelay(interruptions), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var actual = new Digest(digest.Algorithm, Convert.ToHexStringLower(hash.GetHashAndReset()));
        if (actual != digest)
            throw new RegistryException(repository.Registry, repository.Repository,
                $"fetch blob {digest}: digest mismatch: received {received} bytes hashing to {actual}", inner: lastBreak);
    }

    /// <summary>Copies the body; returns the bytes written and the network exception that cut it short (null if it ended normally).</summary>
    private static async Task<(long Copied, Exception? Break)> CopyBodyAsync(RegistryRequest request, HttpResponseMessage response, byte[] buffer,
        IncrementalHash hash, Stream destination, long skip, long alreadyReceived, long? expectedSize, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        long copied = 0;
        Stream body;
        try
        {
            body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (RetryPolicy.IsTransient(e, cancellationToken))
        {
            return (0, e);
        }

        await using (body)
        {
            while (true)
            {
                int read;
                try
                {
                    read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (RetryPolicy.IsTransient(e, cancellationToken) || e is HttpRequestException)
                {
                    return (copied, e); // only network errors are caught: a failing destination is the caller's problem
                }
                if (read == 0) return (copied, null);

                int offset = 0;
                if (skip > 0)
                {
                    int dropped = (int)Math.Min(skip, read);
                    skip -= dropped;
                    offset = dropped;
                    if (offset == read) continue;
                }
                int count = read - offset;
                if (expectedSize is { } size && alreadyReceived + copied + count > size)
                    throw Fail(request, $"blob is larger than the expected {size} bytes");
                hash.AppendData(buffer, offset, count);
                await destination.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false);
                copied += count;
                progress?.Report(alreadyReceived + copied);
            }
        }
    }

    private RegistryRequest BlobGetRequest(RepositoryName repository, Digest digest, long resumeFrom, bool retry) => new()
    {
        RetryTransient = retry,
        Registry = repository.Registry,
        Repository = repository.Repository,
        Operation = $"fetch blob {digest}",
        Target = $"/v2/{repository.Repository}/blobs/{digest}",
        Scopes = RegistryRequest.PullScope(repository.Repository),
        FollowRedirects = true,
        Configure = resumeFrom > 0 ? m => m.Headers.Range = new RangeHeaderValue(resumeFrom, null) : null,
    };

    /// <summary>The full blob size as the response states it (Content-Length of a 200, the total of a 206's Content-Range).</summary>
    private static long? ReportedSize(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.Length : response.Content.Headers.ContentLength;

    private static HashAlgorithmName HashAlgorithmFor(Digest digest) => digest.Algorithm switch
    {
        "sha256" => HashAlgorithmName.SHA256,
        "sha512" => HashAlgorithmName.SHA512,
        _ => throw new NotSupportedException($"digest algorithm '{digest.Algorithm}' is not supported"),
    };
}
