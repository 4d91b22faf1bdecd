using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Conversion;

public class AddConversionTests
{
    private static FileOp Op(string dockerfile) => Assert.IsType<FileOp>(Conv.Graph(dockerfile).Output.Op);

    [Fact]
    public void Add_of_local_files_attempts_to_unpack_them_and_copy_does_not()
    {
        var add = Assert.IsType<CopyAction>(Assert.Single(Op("FROM alpine\nADD a.tar.gz /x/\n").Actions));
        Assert.True(add.AttemptUnpack);
        var copy = Assert.IsType<CopyAction>(Assert.Single(Op("FROM alpine\nCOPY a.tar.gz /x/\n").Actions));
        Assert.False(copy.AttemptUnpack);
        Assert.NotEqual(add.CanonicalDefinition(), copy.CanonicalDefinition());
    }

    [Fact]
    public void Plain_copy_keys_do_not_change_with_the_new_copy_options()
    {
        var copy = Assert.IsType<CopyAction>(Assert.Single(Op("FROM alpine\nCOPY a /x/\n").Actions));
        Assert.DoesNotContain("parents", copy.CanonicalDefinition());
        Assert.DoesNotContain("unpack", copy.CanonicalDefinition());
        Assert.DoesNotContain("chmod=", copy.CanonicalDefinition());
    }

    [Fact]
    public void Add_of_a_url_becomes_a_download_named_after_the_url()
    {
        var sum = "sha256:" + new string('a', 64);
        var op = Op($"FROM alpine\nWORKDIR /opt\nADD --checksum={sum} --chown=1:2 --chmod=755 https://example.com/dl/tool-1.0.tgz?x=1 bin/\n");
        var http = Assert.IsType<HttpDownloadAction>(Assert.Single(op.Actions));
        Assert.Equal("https://example.com/dl/tool-1.0.tgz?x=1", http.Url);
        Assert.Equal("tool-1.0.tgz", http.FileName);
        Assert.Equal("/opt/bin/", http.Dest);
        Assert.True(http.DestIsDirectory);
        Assert.Equal(sum, http.Checksum);
        Assert.Equal(new Chown("1", "2"), http.Owner);
        Assert.Equal(0b111_101_101, http.Mode);
    }

    [Theory]
    [InlineData("https://example.com/", "__unnamed__")]
    [InlineData("https://example.com", "__unnamed__")]
    [InlineData("https://example.com/a%20b.txt", "a b.txt")]
    [InlineData("http://example.com/x/y/", "y")]
    public void Download_file_names_follow_buildkit(string url, string name)
    {
        var http = Assert.IsType<HttpDownloadAction>(Assert.Single(Op($"FROM alpine\nADD {url} /d/\n").Actions));
        Assert.Equal(name, http.FileName);
    }

    [Fact]
    public void Add_of_a_url_to_a_file_path_keeps_that_path()
    {
        var http = Assert.IsType<HttpDownloadAction>(Assert.Single(Op("FROM alpine\nADD https://example.com/a.sh /usr/bin/run\n").Actions));
        Assert.Equal("/usr/bin/run", http.Dest);
        Assert.False(http.DestIsDirectory);
        Assert.Null(http.Checksum);
    }

    [Theory]
    [InlineData("https://github.com/moby/buildkit.git#v0.10:docs", "https://github.com/moby/buildkit.git", "v0.10", "docs")]
    [InlineData("https://github.com/moby/buildkit.git", "https://github.com/moby/buildkit.git", null, "")]
    [InlineData("git@github.com:moby/buildkit.git#main", "git@github.com:moby/buildkit.git", "main", "")]
    [InlineData("file:///srv/repo.git#:sub/dir", "file:///srv/repo.git", null, "sub/dir")]
    public void Add_of_a_git_repository_splits_ref_and_subdirectory(string source, string remote, string? gitRef, string subdirectory)
    {
        var git = Assert.IsType<GitCloneAction>(Assert.Single(Op($"FROM alpine\nADD --keep-git-dir {source} /src\n").Actions));
        Assert.Equal(remote, git.Remote);
        Assert.Equal(gitRef, git.Ref);
        Assert.Equal(subdirectory, git.Subdirectory);
        Assert.Equal("/src/", git.Dest);
        Assert.True(git.KeepGitDir);
    }

    [Fact]
    public void Mixed_sources_become_one_action_each_kind()
    {
        var op = Op("FROM alpine\nADD local.txt https://example.com/a.txt https://x.org/b.git /d/\n");
        Assert.Collection(op.Actions,
            a => Assert.Equal(["local.txt"], Assert.IsType<CopyAction>(a).Sources),
            a => Assert.Equal("a.txt", Assert.IsType<HttpDownloadAction>(a).FileName),
            a => Assert.Equal("https://x.org/b.git", Assert.IsType<GitCloneAction>(a).Remote));
    }

    [Fact]
    public void Copy_parents_keeps_sources_and_makes_the_destination_a_directory()
    {
        var copy = Assert.IsType<CopyAction>(Assert.Single(Op("FROM alpine\nCOPY --parents ./x/./y/a.txt z/*.md /dest\n").Actions));
        Assert.True(copy.IncludeParents);
        Assert.True(copy.DestIsDirectory);
        Assert.Equal("/dest/", copy.Dest);
        Assert.Equal(["./x/./y/a.txt", "z/*.md"], copy.Sources);
    }

    [Fact]
    public void Symbolic_chmod_is_carried_and_applied_to_heredoc_files()
    {
        var copy = Assert.IsType<CopyAction>(Assert.Single(Op("FROM alpine\nCOPY --chmod=u+x,g-w a /x/\n").Actions));
        Assert.Null(copy.Mode);
        Assert.Equal("u+x,g-w", copy.ModeChange?.Text);
        var write = Assert.IsType<WriteFileAction>(Assert.Single(Op("FROM alpine\nCOPY --chmod=a+x <<EOF /run.sh\necho\nEOF\n").Actions));
        Assert.Equal(0b111_101_101, write.Mode);
    }

    [Theory]
    [InlineData("COPY --chmod=u+q a /b", "invalid chmod parameter: 'u+q': 'q' in 'u+q' is not a permission")]
    [InlineData("COPY --chmod=u a /b", "invalid chmod parameter: 'u': 'u' has no operator")]
    [InlineData("ADD --checksum=sha256:0 https://example.com/a /b", "invalid checksum digest format: sha256:0")]
    [InlineData("ADD --checksum=md5:abc https://example.com/a /b", "invalid checksum digest format")]
    [InlineData("ADD --checksum=sha256:0 https://x.org/r.git /b", "checksum can't be specified for non-HTTP(S) sources")]
    [InlineData("ADD --keep-git-dir https://example.com/a /b", "--keep-git-dir is only valid for git sources")]
    [InlineData("ADD https://x.org/r.git#main:../etc /b", "git subdirectory '../etc' may not contain '..'")]
    [InlineData("ADD https://example.com/a https://example.com/b /b", "When using ADD with more than one source file, the destination must be a directory")]
    public void Invalid_add_and_chmod_uses_are_errors_at_their_line(string line, string message)
    {
        var e = Conv.Error("FROM alpine\n" + line + "\n");
        Assert.Contains(message, e.Message);
        Assert.StartsWith("Dockerfile:2:", e.Message);
    }
}
