using System.Net.Sockets;
using System.Text;
using Csbuild.Cache;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Ops;
using Csbuild.TestSupport;

namespace Csbuild.Solver.Tests;

/// <summary>Cache mount directories (sharing, hashed ids, seeding) and the SSH agent forwarder of RUN --mount.</summary>
public sealed class CacheMountsTests
{
    private static ExecMount Cache(string id, CacheSharing sharing) =>
        new() { Type = ExecMountType.Cache, Target = "/c", Id = id, Sharing = sharing, Mode = 0b111_000_000 };

    [Fact]
    public async Task Ids_AreHashed_NeverUsedAsPaths()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var caches = new CacheMounts(root);

        using var lease = await caches.AcquireAsync(Cache("../../../../etc/evil", CacheSharing.Shared), null, CancellationToken.None);

        Assert.Equal(Path.Combine(caches.Directory, CacheMounts.HashId("../../../../etc/evil")), lease.Path);
        Assert.True(lease.Created);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(lease.Path));
    }

    [Fact]
    public async Task Shared_UsesOneDirectory_AndSeedsItOnce()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var caches = new CacheMounts(root);
        var seeds = 0;
        void Seed(string staging) { Interlocked.Increment(ref seeds); File.WriteAllText(Path.Combine(staging, "seeded"), "x"); }

        using var first = await caches.AcquireAsync(Cache("deps", CacheSharing.Shared), Seed, CancellationToken.None);
        using var second = await caches.AcquireAsync(Cache("deps", CacheSharing.Shared), Seed, CancellationToken.None);

        Assert.Equal(first.Path, second.Path);
        Assert.Equal(1, seeds);
        Assert.True(File.Exists(Path.Combine(second.Path, "seeded")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.TempDirectory));
    }

    [Fact]
    public async Task Private_GivesAConcurrentUserAnotherInstance()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var caches = new CacheMounts(root);

        using (var first = await caches.AcquireAsync(Cache("p", CacheSharing.Private), null, CancellationToken.None))
        using (var second = await caches.AcquireAsync(Cache("p", CacheSharing.Private), null, CancellationToken.None))
        {
            Assert.NotEqual(first.Path, second.Path);
            Assert.True(second.Created);
        }
        // Once free, the first instance is used again.
        using var again = await caches.AcquireAsync(Cache("p", CacheSharing.Private), null, CancellationToken.None);
        Assert.Equal(Path.Combine(caches.Directory, CacheMounts.HashId("p")), again.Path);
    }

    [Fact]
    public async Task Locked_WaitsForTheHolder()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var caches = new CacheMounts(root);

        var first = await caches.AcquireAsync(Cache("l", CacheSharing.Locked), null, CancellationToken.None);
        var waiting = caches.AcquireAsync(Cache("l", CacheSharing.Locked), null, CancellationToken.None);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);

        first.Dispose();
        using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(first.Path, second.Path);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => caches.AcquireAsync(Cache("l", CacheSharing.Locked), null, cts.Token));
    }

    [Fact]
    public async Task SshAgentProxy_ForwardsToTheAgent_WithItsOwnModeAndOwner()
    {
        using var dir = new TempDirectory();
        var agentPath = dir.Combine("agent.sock");
        using var agent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        agent.Bind(new UnixDomainSocketEndPoint(agentPath));
        agent.Listen(1);
        // A stand-in agent: answers every request with "agent:" + request.
        var serve = Task.Run(async () =>
        {
            using var connection = await agent.AcceptAsync();
            var buffer = new byte[64];
            var read = await connection.ReceiveAsync(buffer);
            await connection.SendAsync(Encoding.ASCII.GetBytes("agent:" + Encoding.ASCII.GetString(buffer, 0, read)));
        });

        var proxyPath = dir.Combine("proxy.sock");
        await using (var proxy = SshAgentProxy.Start(agentPath, proxyPath, 0b110_000_000, 1234, 5678))
        {
            var status = Oci.Native.Libc.StatNoFollow(proxyPath);
            Assert.Equal((0b110_000_000u, 1234u, 5678u), (status.Permissions, status.Uid, status.Gid));

            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await client.ConnectAsync(new UnixDomainSocketEndPoint(proxyPath));
            await client.SendAsync("hello"u8.ToArray());
            var reply = new byte[64];
            var read = await client.ReceiveAsync(reply).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("agent:hello", Encoding.ASCII.GetString(reply, 0, read));
            await serve;
        }
        Assert.False(File.Exists(proxyPath));
    }
}
