using System.Diagnostics;
using System.Net;
using System.Text;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry.Tests.Support;
using Csbuild.TestSupport;

namespace Csbuild.Oci.Registry.Tests;

/// <summary>A scripted registry that lies, breaks connections and throttles: integrity checks and retries must hold.</summary>
public class MisbehavingRegistryTests
{
    private static readonly TestBlob Blob = TestBlob.Random(64 * 1024, seed: 99);

    private static StubServer Registry(Func<HttpListenerContext, StubRequest, Task> handle) => new(async (context, request) =>
    {
        if (request.PathAndQuery == "/v2/") await StubServer.Respond(context, 200);
        else await handle(context, request);
    });

    private static RepositoryName Repo(StubServer server) => new(server.Host, "stub/app");

    [Fact]
    public async Task AStreamedUploadTheRegistryRefuses_IsReported_AfterTheContentWasProducedInFull()
    {
        using var server = Registry(async (context, request) =>
        {
            if (request.Method == "POST") await StubServer.Respond(context, 202, null, null, ("Location", "/v2/stub/app/blobs/uploads/session-1"));
            else await StubServer.Respond(context, 500);
        });
        using var client = new RegistryClient(TestOptions.Anonymous(TestOptions.QuickRetry(attempts: 1)));
        var upload = await client.UploadWhileProducingAsync(Repo(server), stream => stream.Write(Blob.Content));
        Assert.False(upload.Uploaded);
        Assert.Contains("500", upload.Error!.Message);
        Assert.Equal((Blob.Digest, Blob.Size), (upload.Digest, upload.Size)); // produced to the end: the caller can push it again
        Assert.DoesNotContain(server.RequestsTo("/v2/stub/app/blobs/uploads/session-1"), r => r.Method == "PUT");
    }

    [Fact]
    public async Task AProducerThatFails_BreaksOffTheStreamedUpload_AndItsErrorIsThrown()
    {
        using var server = Registry(async (context, request) =>
        {
            if (request.Method == "POST") await StubServer.Respond(context, 202, null, null, ("Location", "/v2/stub/app/blobs/uploads/session-2"));
            else await StubServer.Respond(context, 202, null, null, ("Location", "/v2/stub/app/blobs/uploads/session-2"));
        });
        using var client = new RegistryClient(TestOptions.Anonymous());
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => client.UploadWhileProducingAsync(Repo(server), stream =>
        {
            stream.Write(Blob.Content);
            throw new InvalidDataException("layer tar does not match its diff_id");
        }));
        Assert.Contains("diff_id", error.Message);
        Assert.DoesNotContain(server.RequestsTo("/v2/stub/app/blobs/uploads/session-2"), r => r.Method == "PUT");
    }

    [Fact]
    public async Task WrongBlobContentIsADigestMismatch()
    {
        var other = TestBlob.Random(Blob.Content.Length, seed: 100);
        using var server = Registry((context, _) => StubServer.Respond(context, 200, other.Content));
        using var client = new RegistryClient(TestOptions.Anonymous());
        var sink = new MemoryStream();
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.FetchBlobAsync(Repo(server), Blob.Digest, Blob.Size, sink));
        Assert.Contains("digest mismatch", error.Message);
        Assert.Contains(other.Digest.ToString(), error.Message);
    }

    [Fact]
    public async Task BlobLargerThanExpectedIsRefused()
    {
        using var server = Registry((context, _) => StubServer.Respond(context, 200, Blob.Content));
        using var client = new RegistryClient(TestOptions.Anonymous());
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.FetchBlobAsync(Repo(server), Blob.Digest, Blob.Size - 1, new MemoryStream()));
        Assert.Contains("size mismatch", error.Message);
    }

    [Fact]
    public async Task ConnectionThatAlwaysBreaksIsATruncatedBlobAfterBoundedRetries()
    {
        using var server = Registry((context, _) => StubServer.RespondTruncated(context, Blob.Content, 1000));
        using var client = new RegistryClient(TestOptions.Anonymous(TestOptions.QuickRetry(attempts: 3)));
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.FetchBlobAsync(Repo(server), Blob.Digest, Blob.Size, new MemoryStream()));
        Assert.Contains("truncated blob", error.Message);
        Assert.Equal(3, server.RequestsTo("/v2/stub/app/blobs/").Count);
    }

    [Fact]
    public async Task BrokenDownloadResumesWithARangeRequest()
    {
        int calls = 0;
        using var server = Registry(async (context, request) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await StubServer.RespondTruncated(context, Blob.Content, 20_000);
                return;
            }
            long from = long.Parse(request.Range!["bytes=".Length..].TrimEnd('-'));
            var rest = Blob.Content[(int)from..];
            await StubServer.Respond(context, 206, rest, null, ("Content-Range", $"bytes {from}-{Blob.Size - 1}/{Blob.Size}"));
        });
        using var client = new RegistryClient(TestOptions.Anonymous());
        var sink = new MemoryStream();
        await client.FetchBlobAsync(Repo(server), Blob.Digest, Blob.Size, sink);
        Assert.Equal(Blob.Content, sink.ToArray());
        var requests = server.RequestsTo("/v2/stub/app/blobs/");
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        Assert.StartsWith("bytes=", requests[1].Range);
        Assert.NotEqual("bytes=0-", requests[1].Range);
    }

    [Fact]
    public async Task ServerErrorIsRetriedUntilItSucceeds()
    {
        int calls = 0;
        using var server = Registry((context, _) => Interlocked.Increment(ref calls) == 1
            ? StubServer.RespondJson(context, 500, """{"errors":[{"code":"UNKNOWN","message":"flaky"}]}""")
            : StubServer.Respond(context, 200, Blob.Content));
        using var client = new RegistryClient(TestOptions.Anonymous());
        var sink = new MemoryStream();
        await client.FetchBlobAsync(Repo(server), Blob.Digest, Blob.Size, sink);
        Assert.Equal(Blob.Content, sink.ToArray());
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task TooManyRequestsWaitsForRetryAfter()
    {
        int calls = 0;
        var manifest = new TestImage("throttled").Manifest;
        using var server = Registry((context, _) => Interlocked.Increment(ref calls) == 1
            ? StubServer.RespondJson(context, 429, """{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}""", ("Retry-After", "1"))
            : StubServer.Respond(context, 200, manifest, MediaTypes.OciManifest, ("Docker-Content-Digest", Digest.Of(manifest).ToString())));
        using var client = new RegistryClient(TestOptions.Anonymous());
        var clock = Stopwatch.StartNew();
        var response = await client.GetManifestAsync(ImageReference.Parse(server.Host + "/stub/app:1"));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"waited only {clock.Elapsed}");
        Assert.Equal(Digest.Of(manifest), response.Digest);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task PersistentServerErrorGivesUpAfterTheConfiguredAttemptsWithTheRegistrysMessage()
    {
        using var server = Registry((context, _) => StubServer.RespondJson(context, 503, """{"errors":[{"code":"UNAVAILABLE","message":"down for maintenance"}]}"""));
        using var client = new RegistryClient(TestOptions.Anonymous(TestOptions.QuickRetry(attempts: 3)));
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse(server.Host + "/stub/app:1")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Contains("UNAVAILABLE: down for maintenance", error.Message);
        Assert.Contains("fetch manifest 1", error.Message);
        Assert.Equal(3, server.RequestsTo("/v2/stub/app/manifests/").Count);
    }

    [Fact]
    public async Task ManifestWhoseBytesDoNotMatchTheDigestHeaderIsRefused()
    {
        var manifest = new TestImage("forged").Manifest;
        using var server = Registry((context, _) => StubServer.Respond(context, 200, manifest, MediaTypes.OciManifest,
            ("Docker-Content-Digest", Blob.Digest.ToString())));
        using var client = new RegistryClient(TestOptions.Anonymous());
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse(server.Host + "/stub/app:1")));
        Assert.Contains("digest mismatch", error.Message);
    }

    [Fact]
    public async Task ManifestFetchedByDigestMustHashToThatDigest()
    {
        var manifest = new TestImage("substituted").Manifest;
        using var server = Registry((context, _) => StubServer.Respond(context, 200, manifest, MediaTypes.OciManifest));
        using var client = new RegistryClient(TestOptions.Anonymous());
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{server.Host}/stub/app@{Blob.Digest}")));
        Assert.Contains($"requested {Blob.Digest}", error.Message);
    }

    [Fact]
    public async Task ManifestMediaTypeComesFromTheDocumentWhenTheServerSaysJson()
    {
        var manifest = new TestImage("plain json").Manifest;
        using var server = Registry((context, _) => StubServer.Respond(context, 200, manifest, "application/json"));
        using var client = new RegistryClient(TestOptions.Anonymous());
        var response = await client.GetManifestAsync(ImageReference.Parse(server.Host + "/stub/app:1"));
        Assert.Equal(MediaTypes.OciManifest, response.MediaType);
    }

    [Fact]
    public async Task BlobRedirectToAnotherHostDoesNotCarryCredentials()
    {
        using var storage = new StubServer((context, _) => StubServer.Respond(context, 200, Blob.Content), hostName: "localhost");
        using var server = new StubServer(async (context, request) =>
        {
            if (request.Authorization is null)
                await StubServer.RespondJson(context, 401, """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""", ("WWW-Authenticate", "Basic realm=\"stub\""));
            else if (request.PathAndQuery == "/v2/")
                await StubServer.Respond(context, 200);
            else
                await StubServer.Respond(context, 307, null, null, ("Location", $"http://{storage.Host}/storage/blob?signature=abc"));
        });
        using var client = new RegistryClient(TestOptions.Anonymous() with { Credentials = new FixedCredentialProvider("user", "pw") });
        var sink = new MemoryStream();
        await client.FetchBlobAsync(Repo(server), Blob.Digest, Blob.Size, sink);

        Assert.Equal(Blob.Content, sink.ToArray());
        var registryBlobRequest = server.RequestsTo("/v2/stub/app/blobs/").Last();
        Assert.StartsWith("Basic ", registryBlobRequest.Authorization);
        var storageRequest = Assert.Single(storage.Requests);
        Assert.Equal("/storage/blob?signature=abc", storageRequest.PathAndQuery);
        Assert.Null(storageRequest.Authorization);
    }

    [Fact]
    public async Task ChunkedUploadResumesFromTheRegistrysRangeAfterAFailedChunk()
    {
        var upload = new MemoryStream();
        int patches = 0;
        using var server = Registry(async (context, request) =>
        {
            var path = request.PathAndQuery;
            if (request.Method == "HEAD")
                await StubServer.Respond(context, 404);
            else if (request.Method == "POST")
                await StubServer.Respond(context, 202, null, null, ("Location", "/v2/stub/app/blobs/uploads/u1"), ("Range", "0-0"));
            else if (request.Method == "PATCH")
            {
                long start = long.Parse(request.ContentRange!.Split('-')[0]);
                if (start != upload.Length) { await StubServer.Respond(context, 416); return; }
                // The second chunk arrives, but only half of it is stored before the "server" fails.
                if (Interlocked.Increment(ref patches) == 2)
                {
                    upload.Write(request.Body, 0, request.Body.Length / 2);
                    await StubServer.RespondJson(context, 500, """{"errors":[{"code":"UNKNOWN","message":"disk hiccup"}]}""");
                    return;
                }
                upload.Write(request.Body);
                await StubServer.Respond(context, 202, null, null, ("Location", "/v2/stub/app/blobs/uploads/u1?part=" + patches), ("Range", $"0-{upload.Length - 1}"));
            }
            else if (request.Method == "GET" && path.StartsWith("/v2/stub/app/blobs/uploads/u1", StringComparison.Ordinal))
                await StubServer.Respond(context, 204, null, null, ("Location", "/v2/stub/app/blobs/uploads/u1"), ("Range", $"0-{upload.Length - 1}"));
            else if (request.Method == "PUT" && path.Contains("digest=" + Uri.EscapeDataString(Digest.Of(upload.ToArray()).ToString()), StringComparison.Ordinal))
                await StubServer.Respond(context, 201);
            else
                await StubServer.RespondJson(context, 400, """{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}""");
        });
        using var client = new RegistryClient(TestOptions.Anonymous() with { ChunkedUploadThreshold = 10_000, UploadChunkSize = 10_000 });

        var result = await client.PushBlobAsync(Repo(server), Blob.Digest, Blob.Size, () => new NonSeekable(Blob.Content));

        Assert.Equal(BlobPushResult.Uploaded, result);
        Assert.Equal(Blob.Content, upload.ToArray());
        Assert.Single(server.Requests, r => r.Method == "GET" && r.PathAndQuery.Contains("/uploads/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TagListFollowsLinkPagination()
    {
        using var server = Registry((context, request) => request.PathAndQuery switch
        {
            "/v2/stub/app/tags/list" => StubServer.RespondJson(context, 200, """{"name":"stub/app","tags":["a","b"]}""",
                ("Link", "</v2/stub/app/tags/list?last=b&n=2>; rel=\"next\"")),
            "/v2/stub/app/tags/list?last=b&n=2" => StubServer.RespondJson(context, 200, """{"name":"stub/app","tags":["c"]}"""),
            _ => StubServer.Respond(context, 404),
        });
        using var client = new RegistryClient(TestOptions.Anonymous());
        Assert.Equal(["a", "b", "c"], await client.ListTagsAsync(Repo(server)));
    }

    [Fact]
    public async Task NonRegistryEndpointIsReportedAsSuch()
    {
        using var server = new StubServer((context, _) => StubServer.Respond(context, 404, Encoding.UTF8.GetBytes("<html>nope</html>"), "text/html"));
        using var client = new RegistryClient(TestOptions.Anonymous());
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.PingAsync(server.Host));
        Assert.Contains("not an OCI distribution (v2) registry endpoint", error.Message);
    }

    [Fact]
    public async Task UnreachableRegistryFailsAfterBoundedRetries()
    {
        using var client = new RegistryClient(TestOptions.Anonymous(TestOptions.QuickRetry(attempts: 2)));
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.PingAsync("127.0.0.1:1"));
        Assert.Contains("cannot reach http://127.0.0.1:1/v2/", error.Message);
        Assert.Contains("refused", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Forces the upload to reopen and skip rather than seek.</summary>
    private sealed class NonSeekable(byte[] content) : MemoryStream(content, writable: false)
    {
        public override bool CanSeek => false;
    }
}
