using System.Net;
using System.Text.Json;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry.Tests.Support;
using Csbuild.TestSupport;

namespace Csbuild.Oci.Registry.Tests;

/// <summary>Against a real registry process (docker-registry), checked with skopeo as well as our own client.</summary>
public class RegistryPushPullTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private ImageReference Ref(string repositoryAndTag) => ImageReference.Parse(registry.Reference(repositoryAndTag));

    [Fact]
    public async Task PushedImageReadsBackWithOurClientAndWithSkopeo()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        var image = new TestImage("hello from csbuild");
        var reference = Ref("pushpull/app:v1");

        var digest = await image.PushAsync(client, reference);
        Assert.Equal(image.ManifestDigest, digest);

        var manifest = await client.GetManifestAsync(reference);
        Assert.Equal(image.Manifest, manifest.Content);
        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
        Assert.Equal(digest, manifest.Digest);

        var byDigest = await client.GetManifestAsync(reference.WithDigest(digest));
        Assert.Equal(image.Manifest, byDigest.Content);

        foreach (var blob in image.Blobs)
        {
            using var copy = new MemoryStream();
            await client.FetchBlobAsync(reference.Name, blob.Digest, blob.Size, copy);
            Assert.Equal(blob.Content, copy.ToArray());
        }

        var inspect = await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false", $"docker://{reference.Canonical}");
        using var json = JsonDocument.Parse(inspect);
        Assert.Equal(digest.ToString(), json.RootElement.GetProperty("Digest").GetString());
        Assert.Equal([image.Layer.Digest.ToString()], json.RootElement.GetProperty("Layers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("linux", json.RootElement.GetProperty("Os").GetString());
    }

    [Fact]
    public async Task ABlobUploadedWhileItIsProduced_IsStoredUnderTheDigestOfWhatWasWritten()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        var content = TestBlob.Random(20 * 1024 * 1024 + 321, seed: 11); // beyond the pipe's 8 MiB: the producer waits for the network
        var repository = Ref("pushpull/streamed:v1").Name;
        var progress = new List<long>();

        var upload = await client.UploadWhileProducingAsync(repository, stream =>
        {
            for (int offset = 0; offset < content.Content.Length; offset += 100_003)
                stream.Write(content.Content, offset, Math.Min(100_003, content.Content.Length - offset));
        }, new SyncProgress(progress));

        Assert.True(upload.Uploaded, upload.Error?.Message);
        Assert.Equal((content.Digest, content.Size), (upload.Digest, upload.Size));
        Assert.True(await client.BlobExistsAsync(repository, content.Digest));
        using var copy = new MemoryStream();
        await client.FetchBlobAsync(repository, content.Digest, content.Size, copy);
        Assert.Equal(content.Content, copy.ToArray());
        Assert.Equal(content.Size, progress.Last());
    }

    [Fact]
    public async Task ChunkedUploadIsUsedAboveTheThresholdAndSkopeoVerifiesTheBlobs()
    {
        var (options, handler) = RecordingHandler.Wrap(TestOptions.Anonymous() with
        {
            ChunkedUploadThreshold = 1024 * 1024,
            UploadChunkSize = 300 * 1024 + 7, // odd size: chunks do not align with buffers
        });
        using var client = new RegistryClient(options);
        var big = TestBlob.Random(2 * 1024 * 1024 + 123, seed: 7);
        var image = new TestImage("chunked", big);
        var reference = Ref("pushpull/chunked:v1");

        var progress = new List<long>();
        var result = await client.PushBlobAsync(reference.Name, big.Digest, big.Size, big.Open, progress: new SyncProgress(progress));
        Assert.Equal(BlobPushResult.Uploaded, result);
        int expectedChunks = (int)Math.Ceiling(big.Size / (double)options.UploadChunkSize);
        Assert.Equal(expectedChunks, handler().Count(HttpMethod.Patch, "/blobs/uploads/"));
        Assert.Equal(big.Size, progress[^1]);
        Assert.True(progress.SequenceEqual(progress.Order()), "upload progress only grows");

        await image.PushAsync(client, reference);
        using var copy = new MemoryStream();
        await client.FetchBlobAsync(reference.Name, big.Digest, big.Size, copy);
        Assert.Equal(big.Content, copy.ToArray());

        // skopeo copy checks every blob's digest while copying.
        var target = Directory.CreateTempSubdirectory("csbuild-skopeo-");
        try
        {
            await ExternalTool.RunAsync("skopeo", "copy", "--src-tls-verify=false", $"docker://{reference.Canonical}", $"dir:{target.FullName}");
            Assert.Equal(big.Content, await File.ReadAllBytesAsync(Path.Combine(target.FullName, big.Digest.Hex)));
        }
        finally
        {
            target.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task SecondPushSendsNoBlobs()
    {
        var (options, handler) = RecordingHandler.Wrap(TestOptions.Anonymous());
        using var client = new RegistryClient(options);
        var image = new TestImage("pushed twice");
        var reference = Ref("pushpull/twice:1");
        await image.PushAsync(client, reference);
        handler().Clear();

        var results = new List<BlobPushResult>();
        foreach (var blob in image.Blobs)
            results.Add(await client.PushBlobAsync(reference.Name, blob.Digest, blob.Size, () => throw new InvalidOperationException("content must not be opened")));
        await client.PutManifestAsync(reference, image.Manifest, MediaTypes.OciManifest);

        Assert.All(results, r => Assert.Equal(BlobPushResult.AlreadyExists, r));
        Assert.Equal(image.Blobs.Count(), handler().Count(HttpMethod.Head, "/blobs/"));
        Assert.Equal(0, handler().Count(HttpMethod.Post, "/blobs/uploads/"));
        Assert.Equal(0, handler().Count(HttpMethod.Patch, "/blobs/"));
        Assert.Equal(0, handler().Count(HttpMethod.Put, "/blobs/"));
        Assert.Equal(1, handler().Count(HttpMethod.Put, "/manifests/"));
    }

    [Fact]
    public async Task BlobIsMountedFromAnotherRepositoryWithoutUpload()
    {
        var (options, handler) = RecordingHandler.Wrap(TestOptions.Anonymous());
        using var client = new RegistryClient(options);
        var blob = TestBlob.Random(50_000, seed: 11);
        var source = RepositoryName.Parse(registry.Reference("mount/source"));
        var target = RepositoryName.Parse(registry.Reference("mount/target"));
        Assert.Equal(BlobPushResult.Uploaded, await client.PushBlobAsync(source, blob.Digest, blob.Size, blob.Open));
        Assert.False(await client.BlobExistsAsync(target, blob.Digest));
        handler().Clear();

        var result = await client.PushBlobAsync(target, blob.Digest, blob.Size, () => throw new InvalidOperationException("must mount, not upload"), mountFromRepository: source.Repository);

        Assert.Equal(BlobPushResult.Mounted, result);
        Assert.Equal(1, handler().Count(HttpMethod.Post, "?mount=" + Uri.EscapeDataString(blob.Digest.ToString()) + "&from=mount%2Fsource"));
        Assert.Equal(0, handler().Count(HttpMethod.Put, "/blobs/"));
        Assert.True(await client.BlobExistsAsync(target, blob.Digest));
    }

    [Fact]
    public async Task MountFromARepositoryWithoutTheBlobFallsBackToUpload()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        var blob = TestBlob.Random(10_000, seed: 12);
        var target = RepositoryName.Parse(registry.Reference("mount/fallback"));
        var result = await client.PushBlobAsync(target, blob.Digest, blob.Size, blob.Open, mountFromRepository: "mount/nothing-here");
        Assert.Equal(BlobPushResult.Uploaded, result);
        Assert.True(await client.BlobExistsAsync(target, blob.Digest));
    }

    [Fact]
    public async Task ListsTags()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        var image = new TestImage("tagged");
        foreach (var tag in new[] { "1.0", "1.1", "latest" })
            await image.PushAsync(client, Ref("tags/app:" + tag));
        var tags = await client.ListTagsAsync(RepositoryName.Parse(registry.Reference("tags/app")));
        Assert.Equal(["1.0", "1.1", "latest"], tags.Order());
    }

    [Fact]
    public async Task ImageIndexRoundTripsWithItsMediaType()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        var image = new TestImage("indexed");
        var reference = Ref("index/app:multi");
        var manifestDigest = await image.PushAsync(client, Ref("index/app:amd64"));
        var index = OciJson.Serialize(new ImageIndex
        {
            Manifests = [new Descriptor { MediaType = MediaTypes.OciManifest, Digest = manifestDigest.ToString(), Size = image.Manifest.Length, Platform = new Platform() }],
        });
        var digest = await client.PutManifestAsync(reference, index, MediaTypes.OciIndex);
        var fetched = await client.GetManifestAsync(reference);
        Assert.True(fetched.IsIndex);
        Assert.Equal(MediaTypes.OciIndex, fetched.MediaType);
        Assert.Equal(digest, fetched.Digest);
        Assert.Equal(index, fetched.Content);
    }

    [Fact]
    public async Task MissingManifestAndBlobGiveNotFoundErrorsNamingRegistryAndRepository()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        await new TestImage("exists").PushAsync(client, Ref("missing/app:exists"));

        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("missing/app:nope")));
        Assert.True(error.IsNotFound);
        Assert.Equal("MANIFEST_UNKNOWN", error.ErrorCode);
        Assert.Contains(registry.Host, error.Message);
        Assert.Contains("missing/app", error.Message);
        Assert.Contains("MANIFEST_UNKNOWN", error.Message);
        Assert.DoesNotContain('\n', error.Message);

        var blob = TestBlob.Random(10, seed: 1);
        var blobError = await Assert.ThrowsAsync<RegistryException>(() =>
            client.FetchBlobAsync(RepositoryName.Parse(registry.Reference("missing/app")), blob.Digest, null, Stream.Null));
        Assert.True(blobError.IsNotFound);
        Assert.False(await client.BlobExistsAsync(RepositoryName.Parse(registry.Reference("missing/app")), blob.Digest));
    }

    [Fact]
    public async Task ManifestReferringToMissingBlobsIsRefusedWithTheRegistrysReason()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        var image = new TestImage("incomplete");
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.PutManifestAsync(Ref("incomplete/app:1"), image.Manifest, MediaTypes.OciManifest));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("MANIFEST_BLOB_UNKNOWN", error.ErrorCode);
        Assert.Contains("push manifest 1", error.Message);
    }

    [Fact]
    public async Task UploadOfContentNotMatchingItsDigestIsRejected()
    {
        using var client = new RegistryClient(TestOptions.Anonymous());
        var claimed = TestBlob.Random(1000, seed: 2);
        var actual = TestBlob.Random(1000, seed: 3);
        var error = await Assert.ThrowsAsync<RegistryException>(() =>
            client.PushBlobAsync(RepositoryName.Parse(registry.Reference("bad/upload")), claimed.Digest, claimed.Size, actual.Open));
        Assert.Equal("DIGEST_INVALID", error.ErrorCode);
    }

    [Fact]
    public async Task ContentShorterThanTheDeclaredSizeFailsWithoutRetrying()
    {
        var (options, handler) = RecordingHandler.Wrap(TestOptions.Anonymous());
        using var client = new RegistryClient(options);
        var blob = TestBlob.Random(1000, seed: 4);
        var error = await Assert.ThrowsAsync<RegistryException>(() =>
            client.PushBlobAsync(RepositoryName.Parse(registry.Reference("bad/short")), blob.Digest, blob.Size + 10, blob.Open));
        Assert.Contains("ended after 1000 bytes", error.Message);
        Assert.Equal(1, handler().Count(HttpMethod.Put, "/blobs/uploads/"));
    }

    [Fact]
    public async Task PingLearnsThatLoopbackRegistriesSpeakPlainHttp()
    {
        var (options, handler) = RecordingHandler.Wrap(TestOptions.Anonymous());
        using var client = new RegistryClient(options);
        await client.PingAsync(registry.Host);
        Assert.Equal([(HttpMethod.Get, "/v2/")], handler().Requests);
    }

    private sealed class SyncProgress(List<long> values) : IProgress<long>
    {
        public void Report(long value)
        {
            lock (values) values.Add(value);
        }
    }
}
