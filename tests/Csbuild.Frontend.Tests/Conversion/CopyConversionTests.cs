using System.Text;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Conversion;

public class CopyConversionTests
{
    private static (Vertex Vertex, FileOp Op, BuildGraph Graph) Copy(string dockerfile, Action<Dictionary<string, string>>? args = null)
    {
        var g = Conv.Graph(dockerfile, buildArgs: args);
        return (g.Output, Assert.IsType<FileOp>(g.Output.Op), g);
    }

    [Fact]
    public void Copy_reads_the_shared_context_vertex()
    {
        var g = Conv.Graph("FROM alpine\nCOPY a /x\nCOPY b /y\n");
        var first = g.Output.Inputs[0];
        Assert.Same(g.Output.Inputs[1], first.Inputs[1]);
        var local = Assert.IsType<LocalOp>(g.Output.Inputs[1].Op);
        Assert.Equal("context", local.Name);
        Assert.Equal("[internal] load build context", g.Output.Inputs[1].Name);
    }

    [Fact]
    public void Copy_action_carries_sources_dest_owner_mode_and_excludes()
    {
        var (_, op, g) = Copy("FROM alpine\nWORKDIR /app\nARG U=web\nCOPY --chown=${U}:grp --chmod=0750 --exclude=*.md --link src lib ./\n");
        var action = Assert.IsType<CopyAction>(Assert.Single(op.Actions));
        Assert.Equal(["src", "lib"], action.Sources);
        Assert.Equal("/app/", action.Dest);
        Assert.True(action.DestIsDirectory);
        Assert.Equal(new Chown("web", "grp"), action.Owner);
        Assert.Equal(0b111_101_000, action.Mode);
        Assert.Equal(["*.md"], action.Excludes);
        Assert.Equal("COPY --chown=web:grp --chmod=0750 src lib ./ # buildkit", g.History[^1].CreatedBy);
        Assert.Same(g.Output, g.History[^1].Vertex);
    }

    [Theory]
    [InlineData("COPY a /b", "/b", false)]
    [InlineData("COPY a /b/", "/b/", true)]
    [InlineData("COPY a .", "/w/", true)]
    [InlineData("COPY a rel", "/w/rel", false)]
    [InlineData("COPY a rel/", "/w/rel/", true)]
    [InlineData("COPY [\"a b\", \"/c d/\"]", "/c d/", true)]
    public void Destination_is_resolved_against_workdir(string line, string dest, bool isDir)
    {
        var (_, op, _) = Copy("FROM alpine\nWORKDIR /w\n" + line + "\n");
        var action = Assert.IsType<CopyAction>(op.Actions[0]);
        Assert.Equal(dest, action.Dest);
        Assert.Equal(isDir, action.DestIsDirectory);
    }

    [Fact]
    public void Several_sources_need_a_directory_destination()
    {
        var e = Conv.Error("FROM alpine\nCOPY a b /dest\n");
        Assert.Contains("When using COPY with more than one source file, the destination must be a directory and end with a /", e.Message);
    }

    [Fact]
    public void Sources_and_dest_are_expanded()
    {
        var (_, op, _) = Copy("FROM alpine\nENV SRC=app DIR=/opt\nCOPY ${SRC}/*.txt $DIR/\n");
        var action = Assert.IsType<CopyAction>(op.Actions[0]);
        Assert.Equal(["app/*.txt"], action.Sources);
        Assert.Equal("/opt/", action.Dest);
    }

    [Fact]
    public void Heredoc_sources_become_written_files()
    {
        var (vertex, op, g) = Copy("FROM alpine\nENV NAME=world\nCOPY <<EOF <<'RAW' /etc/\nhello $NAME \"q\"\nEOF\nkeep $NAME\nRAW\n");
        Assert.Single(vertex.Inputs);
        var first = Assert.IsType<WriteFileAction>(op.Actions[0]);
        Assert.Equal("/etc/EOF", first.Path);
        Assert.Equal("hello world \"q\"\n", Encoding.UTF8.GetString(first.Content));
        Assert.Equal(0b110_100_100, first.Mode);
        var second = Assert.IsType<WriteFileAction>(op.Actions[1]);
        Assert.Equal("keep $NAME\n", Encoding.UTF8.GetString(second.Content));
        Assert.Equal("COPY <<EOF <<RAW /etc/ # buildkit", g.History[^1].CreatedBy);
    }

    [Fact]
    public void Heredoc_to_a_file_path_with_chmod()
    {
        var (_, op, _) = Copy("FROM alpine\nCOPY --chmod=755 <<-EOF /usr/bin/run\n\t#!/bin/sh\n\techo\n\tEOF\n");
        var write = Assert.IsType<WriteFileAction>(Assert.Single(op.Actions));
        Assert.Equal("/usr/bin/run", write.Path);
        Assert.Equal(0b111_101_101, write.Mode);
        Assert.Equal("#!/bin/sh\necho\n", Encoding.UTF8.GetString(write.Content));
    }

    [Fact]
    public void Add_copies_local_files_like_copy()
    {
        var (_, op, g) = Copy("FROM alpine\nADD --chown=1:2 file.txt /x/\n");
        var action = Assert.IsType<CopyAction>(Assert.Single(op.Actions));
        Assert.Equal(new Chown("1", "2"), action.Owner);
        Assert.Equal("ADD --chown=1:2 file.txt /x/ # buildkit", g.History[^1].CreatedBy);
    }

    [Theory]
    [InlineData("COPY --chmod=999 a /b", "invalid chmod parameter: '999'. it should be octal string and between 0 and 07777")]
    [InlineData("COPY --chmod=17777 a /b", "invalid chmod parameter: '17777'")]
    [InlineData("COPY https://example.com/x /b", "source can't be a URL for COPY")]
    [InlineData("COPY git@github.com:a/b.git /b", "source can't be a git ref for COPY")]
    [InlineData("COPY a", "COPY requires at least two arguments")]
    [InlineData("COPY --from a /b", "missing a value on flag: from")]
    [InlineData("COPY --link=maybe a /b", "expecting boolean value for flag link, not: maybe")]
    [InlineData("COPY --chown=1 --chown=2 a /b", "duplicate flag specified: chown")]
    [InlineData("ADD --from=x a /b", "unknown flag: from")]
    [InlineData("ADD --checksum=sha256:0 a /b", "checksum can't be specified for non-HTTP(S) sources")]
    public void Invalid_copy_flags_are_errors(string line, string message) =>
        Assert.Contains(message, Conv.Error("FROM alpine\n" + line + "\n").Message);
}
