using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// ADD of archives, URLs and git repositories, COPY --parents and symbolic --chmod, built with the real CLI and
/// checked on the image as umoci unpacks it.
/// </summary>
[Collection("busybox")]
public sealed class AddCopyTests(BusyboxStoreFixture busybox)
{
    [Fact]
    public void Add_unpacks_local_archives_of_every_compression_and_copies_other_files()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("payload/top.txt", "top");
        dir.Write("payload/sub/deep.txt", "deep");
        var ctx = dir.Combine("ctx");
        Directory.CreateDirectory(ctx);
        foreach (var (name, flag) in new[] { ("a.tar", ""), ("a.tar.gz", "-z"), ("a.tar.bz2", "-j"), ("a.tar.xz", "-J"), ("a.tar.zst", "--zstd") })
        {
            string[] args = [.. (flag.Length > 0 ? new[] { flag } : []), "-cf", Path.Combine(ctx, name), "--owner=1000", "--group=1001", "-C", dir.Combine("payload"), "."];
            var tar = ProcessRunner.Run("tar", args);
            Assert.True(tar.ExitCode == 0, tar.ToString());
        }
        File.WriteAllBytes(Path.Combine(ctx, "data.gz"), GzipOf("not a tar archive"u8.ToArray()));
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest
            ADD a.tar /x/plain/
            ADD a.tar.gz /x/gz
            ADD a.tar.bz2 /x/bz2/
            ADD a.tar.xz /x/xz/
            ADD a.tar.zst /x/zst/
            ADD data.gz /x/copied/
            COPY a.tar.gz /x/kept/
            """);

        var rootfs = BuildAndUnpack(root, dir, ctx, "add-archives:1");
        foreach (var kind in new[] { "plain", "gz", "bz2", "xz", "zst" })
        {
            Assert.Equal("top", File.ReadAllText(Path.Combine(rootfs, "x", kind, "top.txt")));
            Assert.Equal("deep", File.ReadAllText(Path.Combine(rootfs, "x", kind, "sub", "deep.txt")));
            Assert.Equal("1000:1001", Owner(Path.Combine(rootfs, "x", kind, "sub", "deep.txt")));
        }
        Assert.True(File.Exists(Path.Combine(rootfs, "x", "copied", "data.gz")));
        Assert.True(File.Exists(Path.Combine(rootfs, "x", "kept", "a.tar.gz")));
    }

    [Fact]
    public void Add_merges_archives_into_existing_directories()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("one/etc/added.conf", "one");
        dir.Write("one/shared/a.txt", "a");
        dir.Write("two/shared/b.txt", "b");
        var ctx = dir.Combine("ctx");
        Directory.CreateDirectory(ctx);
        foreach (var name in new[] { "one", "two" })
        {
            var tar = ProcessRunner.Run("tar", "-czf", Path.Combine(ctx, name + ".tgz"), "-C", dir.Combine(name), ".");
            Assert.True(tar.ExitCode == 0, tar.ToString());
        }
        dir.Write("ctx/Dockerfile", "FROM busybox:latest\nADD one.tgz two.tgz /\n");

        var rootfs = BuildAndUnpack(root, dir, ctx, "merge:1");
        Assert.Equal("one", File.ReadAllText(Path.Combine(rootfs, "etc", "added.conf")));
        Assert.True(File.Exists(Path.Combine(rootfs, "etc", "passwd"))); // the base image's /etc is merged, not replaced
        Assert.Equal("a", File.ReadAllText(Path.Combine(rootfs, "shared", "a.txt")));
        Assert.Equal("b", File.ReadAllText(Path.Combine(rootfs, "shared", "b.txt")));
    }

    [Theory]
    [InlineData("escape", "escapes the extraction root")]
    [InlineData("symlink", "refusing to follow it")]
    public void Add_refuses_hostile_archives(string kind, string message)
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var ctx = dir.Combine("ctx");
        Directory.CreateDirectory(ctx);
        using (var file = File.Create(Path.Combine(ctx, "evil.tar")))
        using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            if (kind == "escape")
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../../../evil.txt") { DataStream = new MemoryStream("x"u8.ToArray()) });
            }
            else
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "etc") { LinkName = "/etc" });
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/evil.txt") { DataStream = new MemoryStream("x"u8.ToArray()) });
            }
        }
        dir.Write("ctx/Dockerfile", "FROM busybox:latest\nADD evil.tar /x/\n");

        var build = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "evil:1", ctx);
        Assert.Equal(1, build.ExitCode);
        Assert.Contains("cannot unpack /evil.tar", build.Stderr);
        Assert.Contains(message, build.Stderr);
        Assert.False(File.Exists("/etc/evil.txt"));
    }

    [Fact]
    public void Add_downloads_urls_with_checksum_mode_and_mtime_and_caches_by_content()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var lastModified = new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var content = "#!/bin/sh\necho v1\n";
        using var server = new FileServer(() => content, lastModified);
        var sum = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", $"""
            FROM busybox:latest
            ADD --checksum={sum} {server.Url("dl/tool.sh")} /opt/
            ADD --chmod=755 {server.Url("dl/tool.sh")} /usr/local/bin/run
            """);

        var rootfs = BuildAndUnpack(root, dir, ctx, "add-url:1");
        var placed = Path.Combine(rootfs, "opt", "tool.sh");
        Assert.Equal(content, File.ReadAllText(placed));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(placed));
        Assert.Equal(lastModified.UtcDateTime, File.GetLastWriteTimeUtc(placed));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(rootfs, "usr", "local", "bin", "run")));

        var again = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "add-url:1", ctx);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Empty(new PlainProgress(again.Stderr).StepsWith("DONE"));

        // New content: the --checksum step now fails (its pin no longer matches); without it the step reruns.
        content = "#!/bin/sh\necho v2\n";
        var pinned = CsbuildProgram.Run(root, "build", "--progress=plain", "--no-cache", "-t", "add-url:2", ctx);
        Assert.Equal(1, pinned.ExitCode);
        Assert.Contains("digest mismatch", pinned.Stderr);
        dir.Write("ctx/Dockerfile", $"FROM busybox:latest\nADD --chmod=755 {server.Url("dl/tool.sh")} /usr/local/bin/run\n");
        var changed = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "add-url:3", ctx);
        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Equal("DONE", new PlainProgress(changed.Stderr).OutcomeOf("ADD --chmod=755"));
    }

    [Fact]
    public void Add_of_a_missing_url_fails_with_the_status()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        using var server = new FileServer(() => "x", null);
        dir.Write("ctx/Dockerfile", $"FROM busybox:latest\nADD {server.Url("missing")} /x/\n");
        var build = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "missing:1", dir.Combine("ctx"));
        Assert.Equal(1, build.ExitCode);
        Assert.Contains("invalid response status 404", build.Stderr);
    }

    [Fact]
    public void Add_clones_git_refs_and_subdirectories_and_refetches_a_moved_branch()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var repo = dir.Combine("repo.git");
        Git(dir.Path, "init", "-q", "-b", "main", repo);
        dir.Write("repo.git/README", "readme");
        dir.Write("repo.git/sub/a.txt", "a-v1");
        Git(repo, "add", ".");
        Git(repo, "commit", "-q", "-m", "one");
        Git(repo, "tag", "-a", "v1", "-m", "v1");
        var url = "file://" + repo;
        var ctx = dir.Combine("ctx");
        dir.Write("ctx/Dockerfile", $"""
            FROM busybox:latest
            ADD {url}#v1:sub /tagged
            ADD --keep-git-dir {url}#main /full/
            ADD {url} /head/
            """);

        var rootfs = BuildAndUnpack(root, dir, ctx, "add-git:1");
        Assert.Equal("a-v1", File.ReadAllText(Path.Combine(rootfs, "tagged", "a.txt")));
        Assert.False(File.Exists(Path.Combine(rootfs, "tagged", "README")));
        Assert.Equal("readme", File.ReadAllText(Path.Combine(rootfs, "full", "README")));
        Assert.True(Directory.Exists(Path.Combine(rootfs, "full", ".git")));
        Assert.False(Directory.Exists(Path.Combine(rootfs, "head", ".git")));
        Assert.Equal("a-v1", File.ReadAllText(Path.Combine(rootfs, "head", "sub", "a.txt")));

        dir.Write("repo.git/sub/a.txt", "a-v2");
        Git(repo, "commit", "-q", "-am", "two");
        var again = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "add-git:2", ctx);
        Assert.True(again.ExitCode == 0, again.ToString());
        var progress = new PlainProgress(again.Stderr);
        Assert.Equal("CACHED", progress.OutcomeOf("#v1:sub"));
        Assert.Equal("DONE", progress.OutcomeOf("#main"));
    }

    [Fact]
    public void Copy_parents_and_symbolic_chmod_place_and_mode_files()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/x/y/a.txt", "a");
        dir.Write("ctx/z/b.md", "b");
        dir.Write("ctx/z/c.md", "c");
        dir.Write("ctx/w/deep/f.txt", "f");
        var script = dir.Write("ctx/tool.sh", "echo");
        File.SetUnixFileMode(script, (UnixFileMode)0b110_110_100); // 0664
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest
            COPY --parents x/./y/a.txt z/*.md w/deep /p/
            COPY --chmod=u+x,g-w tool.sh /m/
            COPY --chmod=a=rX w /r/
            """);

        var rootfs = BuildAndUnpack(root, dir, dir.Combine("ctx"), "parents:1");
        Assert.Equal("a", File.ReadAllText(Path.Combine(rootfs, "p", "y", "a.txt")));
        Assert.Equal("b", File.ReadAllText(Path.Combine(rootfs, "p", "z", "b.md")));
        Assert.Equal("c", File.ReadAllText(Path.Combine(rootfs, "p", "z", "c.md")));
        Assert.Equal("f", File.ReadAllText(Path.Combine(rootfs, "p", "w", "deep", "f.txt")));
        Assert.Equal((UnixFileMode)0b111_100_100, File.GetUnixFileMode(Path.Combine(rootfs, "m", "tool.sh"))); // 0744
        Assert.Equal((UnixFileMode)0b100_100_100, File.GetUnixFileMode(Path.Combine(rootfs, "r", "deep", "f.txt"))); // 0444
        Assert.Equal((UnixFileMode)0b101_101_101, File.GetUnixFileMode(Path.Combine(rootfs, "r", "deep"))); // 0555
    }

    private static string BuildAndUnpack(string root, TempDirectory dir, string ctx, string tag)
    {
        var build = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", tag, ctx);
        Assert.True(build.ExitCode == 0, build.ToString());
        var bundle = dir.Combine("bundle-" + tag.Replace(':', '-'));
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{root}:{tag}", bundle);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        return Path.Combine(bundle, "rootfs");
    }

    private static string Owner(string path) => ProcessRunner.Run("stat", "-c", "%u:%g", path).Stdout.Trim();

    private static void Git(string workingDirectory, params string[] args)
    {
        var result = ProcessRunner.Run("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", .. args], workingDirectory);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static byte[] GzipOf(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>Serves one text under any path ending in "tool.sh" on 127.0.0.1 (404 otherwise), with an optional Last-Modified.</summary>
    private sealed class FileServer(Func<string> content, DateTimeOffset? lastModified) : IDisposable
    {
        private readonly StubServer _server = new((context, request) =>
        {
            if (!request.PathAndQuery.Split('?')[0].EndsWith("tool.sh", StringComparison.Ordinal))
                return StubServer.Respond(context, 404);
            var headers = lastModified is { } time ? new[] { ("Last-Modified", time.ToString("r")) } : [];
            return StubServer.Respond(context, 200, Encoding.UTF8.GetBytes(content()), null, headers);
        });

        public string Url(string path) => $"http://127.0.0.1:{_server.Port}/{path}";

        public void Dispose() => _server.Dispose();
    }
}
