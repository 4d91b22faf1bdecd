using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Tests.Parsing;

public class HeredocTests
{
    [Fact]
    public void Run_heredoc_body_is_read_up_to_the_delimiter()
    {
        var s = P.Parse("FROM a\nRUN <<EOF\necho $HOME\n  indented\nEOF\nCMD x\n");
        var run = s.Instructions[1];
        Assert.Equal(["<<EOF"], run.Args);
        var h = Assert.Single(run.Heredocs);
        Assert.Equal(new HeredocNode("EOF", "echo $HOME\n  indented\n", Expand: true, Chomp: false), h);
        Assert.Equal(2, run.Line);
        Assert.Equal(5, run.EndLine);
        Assert.Equal(6, s.Instructions[2].Line);
    }

    [Theory]
    [InlineData("<<'EOF'")]
    [InlineData("<<\"EOF\"")]
    [InlineData("<<E'O'F")]
    public void Quoted_delimiters_disable_expansion(string marker)
    {
        var h = Assert.Single(P.Parse($"FROM a\nCOPY {marker} /x\n$A\nEOF\n").Instructions[1].Heredocs);
        Assert.Equal("EOF", h.Name);
        Assert.False(h.Expand);
    }

    [Fact]
    public void Dash_form_strips_leading_tabs_from_the_delimiter_and_the_content()
    {
        var h = Assert.Single(P.Parse("FROM a\nRUN <<-EOT\n\t\techo\n\tEOT\n").Instructions[1].Heredocs);
        Assert.True(h.Chomp);
        Assert.Equal("\t\techo\n", h.Content);
        Assert.Equal("echo\n", h.EffectiveContent);
    }

    [Fact]
    public void Several_heredocs_on_one_line_are_read_in_order()
    {
        var n = P.Parse("FROM a\nCOPY <<A <<B /dst/\nfirst\nA\nsecond\nB\n").Instructions[1];
        Assert.Equal(["A", "B"], n.Heredocs.Select(h => h.Name));
        Assert.Equal(["first\n", "second\n"], n.Heredocs.Select(h => h.Content));
    }

    [Fact]
    public void Heredoc_with_a_command_and_redirect()
    {
        var n = P.Parse("FROM a\nRUN cat <<EOF > /file\nhello\nEOF\n").Instructions[1];
        Assert.Equal(["cat <<EOF > /file"], n.Args);
        Assert.Equal("hello\n", n.Heredocs[0].Content);
    }

    [Fact]
    public void File_descriptor_prefix_is_recorded()
    {
        var h = P.Parse("FROM a\nRUN cat 3<<EOF\nx\nEOF\n").Instructions[1].Heredocs[0];
        Assert.Equal(3, h.FileDescriptor);
    }

    [Fact]
    public void Exec_form_and_other_instructions_have_no_heredocs()
    {
        var s = P.Parse("FROM a\nRUN [\"cat\", \"<<EOF\"]\nENV A=<<EOF\nCMD cat <<EOF\n");
        Assert.All(s.Instructions, i => Assert.Empty(i.Heredocs));
    }

    [Fact]
    public void Quoted_markers_are_not_heredocs()
    {
        var n = P.Parse("FROM a\nRUN echo \"<<EOF\"\n").Instructions[1];
        Assert.Empty(n.Heredocs);
    }

    [Fact]
    public void Onbuild_trigger_can_have_a_heredoc()
    {
        var n = P.Parse("FROM a\nONBUILD RUN <<EOF\nls\nEOF\n").Instructions[1];
        Assert.Equal("ls\n", Assert.Single(n.Heredocs).Content);
    }

    [Fact]
    public void An_unterminated_heredoc_is_an_error_naming_the_delimiter()
    {
        var e = P.Error("FROM a\nRUN <<END\necho\n");
        Assert.Equal(2, e.Line);
        Assert.Contains("unterminated heredoc", e.Message);
        Assert.Contains("END", e.Hint);
    }
}
