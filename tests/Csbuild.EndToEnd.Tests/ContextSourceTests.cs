using System.Formats.Tar;
using System.IO.Compression;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>Build contexts that are not a local directory: a tar on stdin, a git repository, a tarball URL.</summary>
[Collection("busybox")]
public sealed class ContextSourceTests(BusyboxStoreFixture busybox)
{
    private const string Dockerfile = "FROM busybox:latest\nCOPY . /ctx/\nRUN cat /ctx/hello.txt > /seen\n";

    private static void AssertBuilt(ProcessResult build) => Assert.True(build.ExitCode == 0, build.ToString());

    /// <summary>csbuild with a file on its standard input (ProcessRunner only feeds text).</summary>
    private static ProcessResult RunWithStdin(string root, string stdinFile, params string[] args)
    {
        var command = "exec \"$@\" < \"$CSBUILD_TEST_STDIN\"";
        return ProcessRunner.Run("sh", ["-c", command, "sh", .. CsbuildExecutable.CommandLine(args)], environment: new Dictionary<string, string?>
        {
            ["CSBUILD_ROOT"] = root, ["NO_COLOR"] = "1", ["CI"] = "true", ["CSBUILD_TEST_STDIN"] = stdinFile,
        }, timeout: TimeSpan.FromMinutes(5));
    }

    private static string ContextTarGz(TempDirectory dir, string dockerfileName = "Dockerfile")
    {
        dir.Write("src/" + dockerfileName, Dockerfile);
        dir.Write("src/hello.txt", "hello from the tar\n");
        var path = dir.Combine("context.tar.gz");
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(dir.Combine("src"), gzip, includeBaseDirectory: false);
        return path;
    }

    [Fact]
    public void A_gzip_tar_on_stdin_is_the_context_with_its_dockerfile_inside()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var output = dir.Combine("out");
        AssertBuilt(RunWithStdin(root, ContextTarGz(dir), "build", "--progress=plain", "-o", "type=local,dest=" + output, "-"));
        Assert.Equal("hello from the tar\n", File.ReadAllText(Path.Combine(output, "seen")));

        // -f names a Dockerfile inside the archive.
        using var other = new TempDirectory();
        var named = ContextTarGz(other, "build/app.Dockerfile");
        var output2 = dir.Combine("out2");
        AssertBuilt(RunWithStdin(root, named, "build", "-f", "build/app.Dockerfile", "-o", "type=local,dest=" + output2, "-"));
        Assert.Equal("hello from the tar\n", File.ReadAllText(Path.Combine(output2, "seen")));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.Combine(root, "tmp")), p => Path.GetFileName(p).Contains("context"));
    }

    [Fact]
    public void A_lone_dockerfile_on_stdin_builds_with_an_empty_context()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var dockerfile = dir.Write("Dockerfile.stdin", "FROM busybox:latest\nRUN echo lone > /lone\n");
        var output = dir.Combine("out");
        AssertBuilt(RunWithStdin(root, dockerfile, "build", "-o", "type=local,dest=" + output, "-"));
        Assert.Equal("lone\n", File.ReadAllText(Path.Combine(output, "lone")));

        // -f - : the Dockerfile from stdin, the context from a directory.
        dir.Write("ctx/hello.txt", "from the directory\n");
        var stdinDockerfile = dir.Write("Dockerfile.ctx", Dockerfile);
        var output2 = dir.Combine("out2");
        AssertBuilt(RunWithStdin(root, stdinDockerfile, "build", "-f", "-", "-o", "type=local,dest=" + output2, dir.Combine("ctx")));
        Assert.Equal("from the directory\n", File.ReadAllText(Path.Combine(output2, "seen")));
    }

    [Fact]
    public void A_git_url_with_ref_and_subdirectory_is_checked_out_as_the_context()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var work = dir.Combine("work");
        Directory.CreateDirectory(work);
        void Git(params string[] args)
        {
            var r = ProcessRunner.Run("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", .. args], workingDirectory: work);
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        Git("init", "-q");
        dir.Write("work/app/Dockerfile", Dockerfile);
        dir.Write("work/app/hello.txt", "version one\n");
        Git("add", ".");
        Git("commit", "-q", "-m", "one");
        Git("tag", "v1");
        dir.Write("work/app/hello.txt", "version two\n");
        Git("commit", "-q", "-am", "two");
        var bare = dir.Combine("repo.git");
        Assert.Equal(0, ProcessRunner.Run("git", "clone", "-q", "--bare", work, bare).ExitCode);

        var output = dir.Combine("out");
        AssertBuilt(CsbuildProgram.Run(root, "build", "-o", "type=local,dest=" + output, $"file://{bare}#v1:app"));
        Assert.Equal("version one\n", File.ReadAllText(Path.Combine(output, "seen")));
        Assert.False(Directory.Exists(Path.Combine(output, "ctx", ".git")));

        var head = dir.Combine("head");
        AssertBuilt(CsbuildProgram.Run(root, "build", "-o", "type=local,dest=" + head, $"file://{bare}#:app"));
        Assert.Equal("version two\n", File.ReadAllText(Path.Combine(head, "seen")));

        var missing = CsbuildProgram.Run(root, "build", $"file://{bare}#v1:nowhere");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("directory \"nowhere\" not found", missing.Stderr);

        // A committed symlink can't make the subdirectory a host directory.
        File.CreateSymbolicLink(Path.Combine(work, "escape"), "/etc");
        Git("add", "escape");
        Git("commit", "-q", "-m", "link");
        Assert.Equal(0, ProcessRunner.Run("git", ["push", "-q", bare, "HEAD:refs/heads/linked"], workingDirectory: work).ExitCode);
        var escape = CsbuildProgram.Run(root, "build", $"file://{bare}#linked:escape");
        Assert.Equal(1, escape.ExitCode);
        Assert.Contains("goes through a symbolic link", escape.Stderr);
    }

    [Fact]
    public void A_tarball_url_is_downloaded_and_unpacked_as_the_context()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var tarball = File.ReadAllBytes(ContextTarGz(dir));
        using var server = new StubServer(async (context, request) =>
        {
            if (request.PathAndQuery == "/ctx.tar.gz") await StubServer.Respond(context, 200, tarball, "application/gzip");
            else await StubServer.Respond(context, 404);
        });
        var output = dir.Combine("out");
        AssertBuilt(CsbuildProgram.Run(root, "build", "-o", "type=local,dest=" + output, $"http://{server.Host}/ctx.tar.gz"));
        Assert.Equal("hello from the tar\n", File.ReadAllText(Path.Combine(output, "seen")));

        var notFound = CsbuildProgram.Run(root, "build", $"http://{server.Host}/missing.tar");
        Assert.Equal(1, notFound.ExitCode);
        Assert.Contains("404", notFound.Stderr);
    }
}
