using System.Buffers;
using System.Net;
using System.Net.Http.Headers;

namespace Csbuild.Oci.Registry;

/// <summary>
/// A request body of exactly <c>length</c> bytes read from the current position of a source stream, copied with a
/// pooled buffer: nothing of the blob is held in memory beyond one buffer.
/// </summary>
internal sealed class UploadContent : HttpContent
{
    private readonly Stream _source;
    private readonly long _length;
    private readonly long _progressBase;
    private readonly IProgress<long>? _progress;

    public UploadContent(Stream source, long length, long progressBase, IProgress<long>? progress)
    {
        _source = source;
        _length = length;
        _progressBase = progressBase;
        _progress = progress;
        Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(RegistryClient.CopyBufferSize);
        try
        {
            long sent = 0;
            while (sent < _length)
            {
                int want = (int)Math.Min(buffer.Length, _length - sent);
                int read = await _source.ReadAsync(buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
                // InvalidDataException, not IOException: a short source is a caller error and must not be retried as a network failure.
                if (read == 0) throw new InvalidDataException($"blob content ended after {_progressBase + sent} bytes, before the declared size");
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                sent += read;
                _progress?.Report(_progressBase + sent);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
