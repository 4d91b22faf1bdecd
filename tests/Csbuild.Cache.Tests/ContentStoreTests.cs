using Csbuild.Cache;
using Csbuild.Oci.Model;
using Csbuild.TestSupport;

namespace Csbuild.Cache.Tests;

public sealed class ContentStoreTests
{
    [Fact]
    public void Put_StoresByDigest_AndReadsBack()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var digest = root.Content.Put("hello"u8);
        Assert.Equal("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", digest.ToString());
        Assert.True(File.Exists(dir.Combine("root", "blobs", "sha256", digest.Hex)));
        Assert.Equal("hello"u8.ToArray(), root.Content.ReadAllBytes(digest));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.TempDirectory));
    }

    [Fact]
    public async Task PutAsync_RejectsContentThatDoesNotMatchTheExpectedDigest()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var wrong = Digest.Of("something else");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => root.Content.PutAsync(new MemoryStream("hello"u8.ToArray()), wrong, CancellationToken.None));
        Assert.Contains("digest mismatch", error.Message);
        Assert.False(root.Content.Exists(wrong));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.TempDirectory)); // nothing half-written is left
    }

    [Fact]
    public void ReadAllBytes_DetectsACorruptBlob()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var digest = root.Content.Put("payload"u8);
        File.WriteAllText(root.Content.BlobPath(digest), "tampered");
        var error = Assert.Throws<InvalidDataException>(() => root.Content.ReadAllBytes(digest));
        Assert.Contains("corrupt", error.Message);
    }

    [Fact]
    public void Open_RemovesTempFilesOfDeadProcesses_ButNotOfLiveOnes()
    {
        using var dir = new TempDirectory();
        var rootPath = dir.Combine("root");
        using (CsbuildRoot.Open(rootPath)) { }
        var dead = Path.Combine(rootPath, "tmp", "blob-1-abc.999999999.tmp");
        var live = Path.Combine(rootPath, "tmp", $"blob-2-def.{Environment.ProcessId}.tmp");
        File.WriteAllText(dead, "x");
        File.WriteAllText(live, "y");
        using (CsbuildRoot.Open(rootPath)) { }
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
    }
}
