using Csbuild.Oci.Registry.Tests.Support;
using Csbuild.TestSupport;

namespace Csbuild.Oci.Registry.Tests;

/// <summary>Runs alone: it measures the process's allocations, which other tests running alongside would inflate.</summary>
[CollectionDefinition(nameof(LargeBlobCollection), DisableParallelization = true)]
public sealed class LargeBlobCollection : ICollectionFixture<RegistryFixture>;

[Collection(nameof(LargeBlobCollection))]
public class LargeBlobTests(RegistryFixture registry)
{
    private const long BlobSize = 300L * 1024 * 1024;

    // Streaming moves the blob through fixed pooled buffers (measured: well under 1 MiB per 300 MiB); holding the blob
    // or even one 32 MiB upload chunk in memory would blow this budget.
    private const long AllocationBudget = 8L * 1024 * 1024;

    [Theory]
    [InlineData("chunked", 64L * 1024 * 1024, 1UL)]
    [InlineData("monolithic", long.MaxValue, 2UL)]
    public async Task PushAndFetchOf300MegabytesKeepsMemoryFlat(string mode, long chunkedThreshold, ulong seed)
    {
        var digest = GeneratedStream.DigestOf(BlobSize, seed);
        using var client = new RegistryClient(TestOptions.Anonymous() with { ChunkedUploadThreshold = chunkedThreshold, UploadChunkSize = 32L * 1024 * 1024 });
        var repository = RepositoryName.Parse(registry.Reference("large/" + mode));
        await client.PingAsync(registry.Host);

        long before = GC.GetTotalAllocatedBytes(precise: true);
        var result = await client.PushBlobAsync(repository, digest, BlobSize, () => new GeneratedStream(BlobSize, seed));
        long pushAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(BlobPushResult.Uploaded, result);
        Assert.True(pushAllocated < AllocationBudget, $"{mode} push of {BlobSize >> 20} MiB allocated {pushAllocated >> 20} MiB");

        using var sink = new HashingSink();
        before = GC.GetTotalAllocatedBytes(precise: true);
        await client.FetchBlobAsync(repository, digest, BlobSize, sink);
        long fetchAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(digest, sink.Digest);
        Assert.Equal(BlobSize, sink.Written);
        Assert.True(fetchAllocated < AllocationBudget, $"fetch of {BlobSize >> 20} MiB allocated {fetchAllocated >> 20} MiB");
    }
}
