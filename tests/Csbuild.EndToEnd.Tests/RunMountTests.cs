using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>RUN --mount, build secrets, network modes and step limits, through the real CLI with runc.</summary>
[Collection("busybox")]
public sealed class RunMountTests(BusyboxStoreFixture busybox)
{
    private static ProcessResult Build(string root, TempDirectory dir, string dockerfile, params string[] flags) =>
        Build(root, dir, dockerfile, null, flags);

    private static ProcessResult Build(string root, TempDirectory dir, string dockerfile, IDictionary<string, string?>? env, params string[] flags)
    {
        dir.Write("ctx/Dockerfile", dockerfile);
        return CsbuildProgram.Run(root, env, ["build", "--progress=plain", .. flags, dir.Combine("ctx")]);
    }

    private static void AssertBuilt(ProcessResult build) => Assert.True(build.ExitCode == 0, build.ToString());

    /// <summary>The names of every entry of every layer blob in the root.</summary>
    private static List<string> LayerEntryNames(string root)
    {
        var names = new List<string>();
        foreach (var blob in Directory.EnumerateFiles(Path.Combine(root, "blobs", "sha256")))
        {
            using var content = OpenDecompressed(blob) ?? OpenTar(blob);
            if (content is null) continue;
            using var reader = new TarReader(content);
            while (reader.GetNextEntry() is { } entry) names.Add(entry.Name.TrimEnd('/'));
        }
        return names;
    }

    /// <summary>A gzip blob's decompressed stream, or null for other blobs (configs, manifests).</summary>
    private static Stream? OpenDecompressed(string blob)
    {
        var file = File.OpenRead(blob);
        Span<byte> magic = stackalloc byte[2];
        if (file.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        {
            file.Position = 0;
            return new GZipStream(file, CompressionMode.Decompress);
        }
        file.Dispose();
        return null;
    }

    /// <summary>An uncompressed layer blob (a tar: "ustar" at offset 257), or null for other blobs.</summary>
    private static FileStream? OpenTar(string blob)
    {
        var file = File.OpenRead(blob);
        Span<byte> magic = stackalloc byte[5];
        if (file.Length > 512 && file.Seek(257, SeekOrigin.Begin) == 257 && file.Read(magic) == 5 && magic.SequenceEqual("ustar"u8))
        {
            file.Position = 0;
            return file;
        }
        file.Dispose();
        return null;
    }

    private static bool StreamContains(Stream stream, byte[] needle)
    {
        // Keep the tail of the previous chunk so a match across two reads is found.
        var buffer = new byte[1 << 16];
        var carry = 0;
        int read;
        while ((read = stream.Read(buffer, carry, buffer.Length - carry)) > 0)
        {
            var length = carry + read;
            if (buffer.AsSpan(0, length).IndexOf(needle) >= 0) return true;
            carry = Math.Min(needle.Length - 1, length);
            buffer.AsSpan(length - carry, carry).CopyTo(buffer);
        }
        return false;
    }

    /// <summary>Every file under the root that holds <paramref name="needle"/>, raw or inside a gzip layer.</summary>
    private static List<string> FilesContaining(string root, byte[] needle)
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            using (var raw = File.OpenRead(file))
                if (StreamContains(raw, needle)) found.Add(file);
            using var decompressed = OpenDecompressed(file);
            if (decompressed is not null && StreamContains(decompressed, needle)) found.Add(file + " (decompressed)");
        }
        return found;
    }

    [Fact]
    public void CacheMount_IsSharedBetweenBuilds_AndIsInNoLayer()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);

        AssertBuilt(Build(root, dir, """
            FROM busybox:latest
            RUN --mount=type=cache,id=shared-cache,target=/var/cache/tool echo from-first-build > /var/cache/tool/cached-file && echo one > /step-one
            """));
        var second = Build(root, dir, """
            FROM busybox:latest
            WORKDIR /work
            RUN --mount=type=cache,id=shared-cache,target=other,sharing=locked test "$(cat other/cached-file)" = from-first-build && echo two > /step-two
            """);
        AssertBuilt(second);

        var cacheDir = Path.Combine(root, "cache-mounts", Convert.ToHexStringLower(SHA256.HashData("shared-cache"u8)));
        Assert.Equal("from-first-build\n", File.ReadAllText(Path.Combine(cacheDir, "cached-file")));
        var entries = LayerEntryNames(root);
        Assert.Contains("step-one", entries);
        Assert.Contains("step-two", entries);
        Assert.DoesNotContain(entries, e => e.Contains("cached-file", StringComparison.Ordinal) || e.EndsWith("tool", StringComparison.Ordinal) || e.EndsWith("other", StringComparison.Ordinal));
    }

    [Fact]
    public void CacheIds_ArePathsNever()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);

        AssertBuilt(Build(root, dir, """
            FROM busybox:latest
            RUN --mount=type=cache,id=../../../escaped-cache,target=/c,sharing=private echo x > /c/file
            """));

        Assert.Equal(["file"], Directory.EnumerateFileSystemEntries(
            Path.Combine(root, "cache-mounts", Convert.ToHexStringLower(SHA256.HashData("../../../escaped-cache"u8)))).Select(Path.GetFileName));
        Assert.False(Directory.Exists(Path.Combine(root, "escaped-cache")));
        Assert.False(Directory.Exists(Path.GetFullPath(Path.Combine(root, "cache-mounts", "../../../escaped-cache"))));
    }

    [Fact]
    public void Secret_IsReadableInTheStep_AndNowhereElse()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        var secretFile = dir.Write("secret.txt", secret);
        var sum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

        // The step proves it saw the value by hashing it; the value itself must not reach anything kept.
        var build = Build(root, dir, """
            FROM busybox:latest
            RUN --mount=type=secret,id=token,required --mount=type=secret,id=token-env,env=TOKEN_ENV,uid=1000,mode=0440,target=/run/other \
                sha256sum /run/secrets/token | cut -d' ' -f1 > /file.sum && printf %s "$TOKEN_ENV" | sha256sum | cut -d' ' -f1 > /env.sum \
                && stat -c '%u %a' /run/other > /other.stat
            RUN test "$(cat /file.sum)" = "$(cat /env.sum)" && test ! -e /run/secrets/token && test ! -e /run/other
            """, new Dictionary<string, string?> { ["MY_TOKEN"] = secret },
            "-t", "secret:1", "--secret", $"id=token,src={secretFile}", "--secret", "id=token-env,env=MY_TOKEN");
        AssertBuilt(build);

        var bundle = dir.Combine("bundle");
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{root}:secret:1", bundle);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        Assert.Equal(sum, File.ReadAllText(Path.Combine(bundle, "rootfs", "file.sum")).Trim());
        Assert.Equal(sum, File.ReadAllText(Path.Combine(bundle, "rootfs", "env.sum")).Trim());
        Assert.Equal("1000 440", File.ReadAllText(Path.Combine(bundle, "rootfs", "other.stat")).Trim());
        Assert.False(Directory.Exists(Path.Combine(bundle, "rootfs", "run", "secrets")));

        var value = Encoding.UTF8.GetBytes(secret);
        Assert.Empty(FilesContaining(root, value));
        Assert.DoesNotContain(secret, build.Output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root, "tmp")));
    }

    [Fact]
    public void MissingRequiredSecret_FailsNamingTheId_AndAnOptionalOneIsSkipped()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);

        var missing = Build(root, dir, """
            FROM busybox:latest
            RUN --mount=type=secret,id=deploy-key,required=true cat /run/secrets/deploy-key
            """);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("secret \"deploy-key\" is required but was not given", missing.Stderr);
        Assert.Contains("--secret id=deploy-key", missing.Stderr);

        AssertBuilt(Build(root, dir, """
            FROM busybox:latest
            RUN --mount=type=secret,id=optional test ! -e /run/secrets/optional
            """));

        var unknownFile = Build(root, dir, "FROM busybox:latest\nRUN true\n", "--secret", "id=x,src=" + dir.Combine("nope"));
        Assert.NotEqual(0, unknownFile.ExitCode);
        Assert.Contains("secret \"x\"", unknownFile.Stderr);
    }

    [Fact]
    public void BindMounts_FromAStageAndTheContext_ReadOnlyOrWithDiscardedWrites()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/hello.txt", "hello-from-context");
        const string dockerfile = """
            FROM busybox:latest AS tools
            RUN mkdir /out && echo tool-output > /out/data.txt

            FROM busybox:latest
            RUN --mount=type=bind,from=tools,source=/out,target=/mnt/tools cp /mnt/tools/data.txt /copied.txt && ! touch /mnt/tools/new 2>/dev/null
            RUN --mount=from=tools,source=out,target=/mnt/rw,rw echo changed > /mnt/rw/data.txt && touch /mnt/rw/new
            RUN --mount=from=tools,source=/out,target=/t test "$(cat /t/data.txt)" = tool-output && test ! -e /t/new
            RUN --mount=target=/ctx cat /ctx/hello.txt > /from-context
            RUN test "$(cat /copied.txt)" = tool-output && test "$(cat /from-context)" = hello-from-context && test ! -e /mnt/tools && test ! -e /ctx
            """;
        AssertBuilt(Build(root, dir, dockerfile));
        Assert.DoesNotContain(LayerEntryNames(root), e => e.EndsWith("mnt/tools", StringComparison.Ordinal) || e == "ctx");

        // The context's contents are part of the bind step's key.
        dir.Write("ctx/hello.txt", "changed");
        var rebuild = Build(root, dir, dockerfile.Replace("hello-from-context", "changed"));
        AssertBuilt(rebuild);
        var progress = new PlainProgress(rebuild.Stderr);
        Assert.Equal("CACHED", progress.OutcomeOf("cp /mnt/tools/data.txt"));
        Assert.Equal("DONE", progress.OutcomeOf("cat /ctx/hello.txt"));
    }

    [Fact]
    public void TmpfsMount_IsATmpfs_AndLeavesNothingBehind()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);

        AssertBuilt(Build(root, dir, """
            FROM busybox:latest
            RUN --mount=type=tmpfs,target=/scratch,size=1m grep -q ' /scratch tmpfs' /proc/mounts && echo x > /scratch/file && ! dd if=/dev/zero of=/scratch/big bs=1M count=2 2>/dev/null
            RUN test ! -e /scratch
            """));
        Assert.DoesNotContain(LayerEntryNames(root), e => e.Contains("scratch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NetworkNone_CannotReachTheHost_WhileHostNetworkCan()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = 0;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var client = await listener.AcceptTcpClientAsync(stop.Token);
                    Interlocked.Increment(ref accepted);
                }
            }
            catch (OperationCanceledException) { }
        });
        var dockerfile = $"FROM busybox:latest\nRUN nc -w 5 127.0.0.1 {port} </dev/null && echo connected > /net\n";

        var none = Build(root, dir, dockerfile, "--network=none");
        Assert.Equal(1, none.ExitCode);
        Assert.Equal(0, Volatile.Read(ref accepted));

        var host = Build(root, dir, dockerfile, "--network=host");
        AssertBuilt(host);
        Assert.True(Volatile.Read(ref accepted) >= 1);

        // RUN --network=none wins over the build's host network.
        var perStep = Build(root, dir, dockerfile.Replace("RUN nc", "RUN --network=none nc"), "--network=host");
        Assert.Equal(1, perStep.ExitCode);
        await stop.CancelAsync();
        listener.Stop();
        await server;
    }

    [Fact]
    public void SshMount_GetsAForwardedSocket_AndSshAuthSock()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var agentPath = dir.Combine("agent.sock");
        using var agent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        agent.Bind(new UnixDomainSocketEndPoint(agentPath));
        agent.Listen(1);

        AssertBuilt(Build(root, dir, """
            FROM busybox:latest
            RUN --mount=type=ssh,uid=1000 test -S "$SSH_AUTH_SOCK" && test "$SSH_AUTH_SOCK" = /run/buildkit/ssh_agent.1 && test "$(stat -c '%a %u' "$SSH_AUTH_SOCK")" = "600 1000"
            RUN test ! -e /run/buildkit
            """, "--ssh", "default=" + agentPath));

        var required = Build(root, dir, "FROM busybox:latest\nRUN --mount=type=ssh,id=github,required true\n");
        Assert.Equal(1, required.ExitCode);
        Assert.Contains("no SSH agent \"github\"", required.Stderr);

        var keyFile = Build(root, dir, "FROM busybox:latest\nRUN true\n", "--ssh", "default=" + dir.Write("id_ed25519", "not a socket"));
        Assert.Equal(2, keyFile.ExitCode);
        Assert.Contains("not an agent socket", keyFile.Stderr);
    }

    [Fact]
    public void StepOverItsMemoryLimit_FailsSayingSo()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);

        // tail keeps everything after the last newline: 100 MiB of zeros do not fit in 32 MiB.
        var build = Build(root, dir, "FROM busybox:latest\nRUN dd if=/dev/zero bs=1M count=100 | tail > /dev/null\n", "--memory", "32m");

        Assert.Equal(1, build.ExitCode);
        Assert.Contains("memory limit of 32 MiB", build.Stderr);
    }

    [Fact]
    public void WorkdirInProcSelfFd_IsRefused_AndDotDotTargetsStayInside()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);

        var fd = Build(root, dir, "FROM busybox:latest\nWORKDIR /proc/self/fd/7\nRUN cat /etc/hostname\n");
        Assert.NotEqual(0, fd.ExitCode);
        Assert.Contains("inside /proc or /sys", fd.Stderr);

        var mountInProc = Build(root, dir, "FROM busybox:latest\nRUN --mount=type=tmpfs,target=/proc/self/fd/7 true\n");
        Assert.NotEqual(0, mountInProc.ExitCode);
        Assert.Contains("inside /proc or /sys", mountInProc.Stderr);

        var marker = "csbuild-escape-" + Guid.NewGuid().ToString("N")[..8];
        AssertBuilt(Build(root, dir, $"""
            FROM busybox:latest
            WORKDIR /a/b
            RUN --mount=type=tmpfs,target=../../../../../../tmp/{marker} grep -q ' /tmp/{marker} tmpfs' /proc/mounts
            """));
        Assert.False(Directory.Exists(Path.Combine("/tmp", marker)));
    }
}
