using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Tests.Parsing;

public class LineTests
{
    [Fact]
    public void Instructions_are_case_insensitive_and_keep_their_written_name()
    {
        var s = P.Parse("from a\nRuN echo\n");
        Assert.Equal(["from", "run"], s.Instructions.Select(i => i.Command));
        Assert.Equal("RuN", s.Instructions[1].CommandAsWritten);
    }

    [Fact]
    public void Continuations_join_lines_removing_the_escape_and_newline()
    {
        var n = P.Second("RUN a \\\n  b \\  \n c");
        Assert.Equal("a   b  c", n.Args[0]);
        Assert.Equal(2, n.Line);
        Assert.Equal(4, n.EndLine);
    }

    [Fact]
    public void Comments_and_blank_lines_inside_a_continuation_are_skipped_and_blank_ones_warned()
    {
        var s = P.Parse("FROM a\nRUN a \\\n   # inner comment\n\n b\n");
        Assert.Equal("a  b", s.Instructions[1].Args[0]);
        var w = Assert.Single(s.Warnings);
        Assert.Equal("NoEmptyContinuation", w.Rule);
        Assert.Equal(4, w.Line);
    }

    [Fact]
    public void Comments_and_blank_lines_between_instructions_are_ignored()
    {
        var s = P.Parse("FROM a\n\n   # c\n\t\nRUN x\n");
        Assert.Equal(2, s.Instructions.Count);
        Assert.Equal(5, s.Instructions[1].Line);
    }

    [Fact]
    public void Comments_above_an_instruction_are_attached()
    {
        var s = P.Parse("FROM a\n# first\n# second\nRUN x\n");
        Assert.Equal(["first", "second"], s.Instructions[1].Comments);
    }

    [Fact]
    public void Crlf_line_endings_and_a_byte_order_mark_are_accepted()
    {
        var s = DockerfileParser.Parse("\uFEFFFROM a\r\nRUN b \\\r\n c\r\n");
        Assert.Equal("b  c", s.Instructions[1].Args[0]);
    }

    [Fact]
    public void Invalid_utf8_is_decoded_with_replacement_characters()
    {
        byte[] bytes = [.. "FROM a\nRUN echo "u8, 0xff, 0xfe, (byte)'\n'];
        var s = DockerfileParser.Parse(bytes);
        Assert.Equal("echo \uFFFD\uFFFD", s.Instructions[1].Args[0]);
    }

    [Fact]
    public void An_empty_file_is_an_error()
    {
        var e = P.Error("# just a comment\n\n");
        Assert.Contains("file with no instructions", e.Message);
    }

    [Fact]
    public void Unknown_instructions_suggest_the_nearest_name_with_location()
    {
        var e = P.Error("FROM a\n  CPOY x y\n");
        Assert.Equal("Dockerfile:2:3: unknown instruction: CPOY (did you mean COPY?)", e.Message.Split(" (hint")[0]);
        Assert.Equal(2, e.Line);
        Assert.Equal(3, e.Column);
    }

    [Fact]
    public void Unknown_instruction_far_from_any_name_lists_the_instructions()
    {
        var e = P.Error("FROM a\nXYZZYQ x\n");
        Assert.Contains("unknown instruction: XYZZYQ", e.Message);
        Assert.Contains("instructions are ADD, ARG", e.Hint);
    }

    [Fact]
    public void A_continuation_into_the_end_of_the_file_with_no_arguments_is_an_error()
    {
        var e = P.Error("FROM a\nRUN \\\n");
        Assert.Contains("RUN requires at least one argument", e.Message);
        Assert.Contains("continues into nothing", e.Hint);
    }

    [Fact]
    public void A_continuation_at_the_end_of_the_file_after_arguments_is_accepted_as_BuildKit_does()
    {
        var s = P.Parse("FROM a\nRUN echo \\");
        Assert.Equal("echo", s.Instructions[1].Args[0]);
    }

    [Fact]
    public void A_lone_escape_at_the_end_of_the_file_is_an_error()
    {
        var e = P.Error("FROM a\n\\");
        Assert.Contains("unexpected end of file after line continuation", e.Message);
    }

    [Fact]
    public void Error_columns_follow_continuation_lines()
    {
        var e = P.Error("FROM a\nRUN \\\n  [1, 2]\n");
        Assert.Equal(3, e.Line);
        Assert.Contains("arrays must be comprised of strings only", e.Message);
    }

    [Fact]
    public void Error_message_is_one_line_with_file_line_and_column()
    {
        var e = Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse("FROM a\nFOO\n", "build/app.Dockerfile"));
        Assert.StartsWith("build/app.Dockerfile:2:1: unknown instruction: FOO", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal("build/app.Dockerfile", e.FileName);
    }
}
