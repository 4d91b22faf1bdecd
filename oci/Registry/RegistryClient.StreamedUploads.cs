using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Registry;

/// <summary>The outcome of <see cref="RegistryClient.UploadWhileProducingAsync"/>: what was produced, and whether the registry has it.</summary>
/// <param name="Error">Why the upload failed (the content was still produced in full); null when it succeeded.</param>
public sealed record StreamedUpload(Digest Digest, long Size, RegistryException? Error)
{
    public bool Uploaded => Error is null;
}

public sealed partial class RegistryClient
{
    /// <summary>Produced bytes held for the network at most, before the producer waits for the upload.</summary>
    private const int StreamedUploadBuffer = 8 << 20;

    /// <summary>
    /// Uploads a blob while it is being produced, for content whose digest is known only at its end (a layer compressed
    /// on its way to the registry): one upload session, one PATCH whose body streams what <paramref name="produce"/>
    /// writes (as <c>docker push</c> sends layers), then the PUT naming the digest of those bytes. It is not retried:
    /// a failed upload is reported in the result once <paramref name="produce"/> has finished, so that the caller can
    /// push the then complete blob with <see cref="PushBlobAsync"/>, which retries.
    /// </summary>
    /// <param name="produce">Writes the whole blob into the stream it is given, on a pool thread. It may dispose the stream
    /// once the last byte is written: the upload then completes while <paramref name="produce"/> goes on (making its own
    /// copy durable, say).</param>
    public async Task<StreamedUpload> UploadWhileProducingAsync(RepositoryName repository, Action<Stream> produce,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(produce);
        string? location = null;
        RegistryException? error = null;
        try
        {
            location = await StartUploadAsync(repository, null, null, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e)
        {
            error = e;
        }

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: StreamedUploadBuffer, resumeWriterThreshold: StreamedUploadBuffer / 2,
            useSynchronizationContext: false));
        var feed = new UploadFeed(pipe.Writer, enabled: location is not null);
        var producing = Task.Run(() =>
        {
            try
            {
                produce(feed);
                pipe.Writer.Complete();
            }
            catch (Exception e)
            {
                pipe.Writer.Complete(e); // the body breaks off, so the registry never completes a partial blob
                throw;
            }
        }, cancellationToken);

        if (location is not null)
        {
            try
            {
                location = await SendStreamAsync(repository, location, pipe.Reader, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (InterruptedUploadException e)
            {
                error = e.Error; // a body can be streamed once: a re-authentication ends this try
            }
            catch (Exception e) when (e is RegistryException or HttpRequestException or IOException)
            {
                error = e as RegistryException ?? new RegistryException(repository.Registry, repository.Repository, $"streamed upload failed: {e.Message}", inner: e);
            }
            finally
            {
                await pipe.Reader.CompleteAsync().ConfigureAwait(false); // the producer goes on alone if the upload stopped early
            }
        }
        // Finished with the stream (disposed) or finished altogether: either way every byte of the blob has been written.
        if (await Task.WhenAny(feed.Finished, producing).ConfigureAwait(false) == producing) await producing.ConfigureAwait(false);
        var digest = feed.Digest();
        if (error is null && location is not null)
        {
            try
            {
                await FinishUploadAsync(repository, location, digest, cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e)
            {
                error = e;
            }
        }
        await producing.ConfigureAwait(false);
        return new StreamedUpload(digest, feed.BytesWritten, error);
    }

    /// <summary>One PATCH with a body of unknown length (chunked transfer encoding) fed from the pipe; returns the new location.</summary>
    private async Task<string> SendStreamAsync(RepositoryName repository, string location, PipeReader body, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        var request = new RegistryRequest
        {
            Registry = repository.Registry,
            Repository = repository.Repository,
            Operation = "upload a blob as it is produced",
            Method = HttpMethod.Patch,
            Target = location,
            Scopes = RegistryRequest.PushScope(repository.Repository),
            Content = SendOnce(repository, "a blob as it is produced", () => new PipeContent(body, progress)),
            RetryTransient = false,
        };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted && !response.IsSuccessStatusCode)
            throw await ErrorAsync(request, response, cancellationToken).ConfigureAwait(false);
        return UploadLocation(request, response);
    }

    private async Task FinishUploadAsync(RepositoryName repository, string location, Digest digest, CancellationToken cancellationToken)
    {
        var finish = CompleteUploadRequest(repository, location, digest);
        using var response = await SendAsync(finish, cancellationToken).ConfigureAwait(false);
        await ThrowUnlessAsync(finish, response, HttpStatusCode.Created, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The producer's side: hashes and counts every byte, and hands it to the pipe while the upload takes it.</summary>
    private sealed class UploadFeed(PipeWriter writer, bool enabled) : WriteOnlyStreamBase
    {
        private readonly System.Security.Cryptography.IncrementalHash _hash =
            System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _open = enabled;
        private Digest? _digest;

        public long BytesWritten { get; private set; }

        /// <summary>Completes when the producer disposes the stream: nothing more will be written.</summary>
        public Task Finished => _finished.Task;

        public Digest Digest() => _digest ??= Model.Digest.FromHash(_hash.GetHashAndReset());

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            BytesWritten += buffer.Length;
            if (!_open) return;
            writer.Write(buffer);
            // Blocks while the network is behind by more than the pipe's threshold; a finished reader (the upload
            // stopped) means the rest is only hashed, for the caller's fallback.
            if (writer.FlushAsync().AsTask().GetAwaiter().GetResult().IsCompleted) _open = false;
        }

        public override void Flush() { }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_finished.Task.IsCompleted)
            {
                Digest();
                _hash.Dispose();
                writer.Complete();
                _finished.TrySetResult();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>An upload body read from a pipe until the producer completes it; its length is unknown up front.</summary>
    private sealed class PipeContent : HttpContent
    {
        private readonly PipeReader _reader;
        private readonly IProgress<long>? _progress;

        public PipeContent(PipeReader reader, IProgress<long>? progress)
        {
            _reader = reader;
            _progress = progress;
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            long sent = 0;
            while (true)
            {
                var read = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                foreach (var segment in read.Buffer)
                {
                    await stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                    sent += segment.Length;
                }
                _reader.AdvanceTo(read.Buffer.End);
                _progress?.Report(sent);
                if (read.IsCompleted) return;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
