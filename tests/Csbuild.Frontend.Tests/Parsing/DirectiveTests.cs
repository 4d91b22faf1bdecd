namespace Csbuild.Frontend.Tests.Parsing;

public class DirectiveTests
{
    [Fact]
    public void Directives_at_the_top_are_read_case_insensitively()
    {
        var s = P.Parse("# syntax=docker/dockerfile:1.7\n#ESCAPE = `\n# check=skip=JSONArgsRecommended;error=true\nFROM a\n");
        Assert.Equal(
            [new("syntax", "docker/dockerfile:1.7"), new("escape", "`"), new("check", "skip=JSONArgsRecommended;error=true")],
            s.Directives);
        Assert.Equal('`', s.EscapeChar);
    }

    [Fact]
    public void A_directive_after_an_instruction_is_a_comment()
    {
        var s = P.Parse("FROM a\n# escape=`\nRUN x \\\n y\n");
        Assert.Empty(s.Directives);
        Assert.Equal("x  y", s.Instructions[1].Args[0]);
    }

    [Fact]
    public void A_blank_line_ends_directives()
    {
        var s = P.Parse("\n# escape=`\nFROM a\n");
        Assert.Empty(s.Directives);
        Assert.Equal('\\', s.EscapeChar);
    }

    [Fact]
    public void A_plain_comment_ends_directives()
    {
        var s = P.Parse("# hello\n# escape=`\nFROM a\n");
        Assert.Empty(s.Directives);
    }

    [Fact]
    public void An_unknown_directive_is_a_comment_and_ends_directives()
    {
        var s = P.Parse("# unknown=x\n# syntax=foo\nFROM a\n");
        Assert.Empty(s.Directives);
    }

    [Fact]
    public void A_repeated_directive_is_an_error()
    {
        var e = P.Error("# escape=`\n# escape=\\\nFROM a\n");
        Assert.Equal(2, e.Line);
        Assert.Contains("only one escape parser directive can be used", e.Message);
    }

    [Fact]
    public void An_invalid_escape_is_an_error()
    {
        var e = P.Error("# escape=x\nFROM a\n");
        Assert.StartsWith("Dockerfile:1:", e.Message);
        Assert.Contains("invalid escape token 'x'", e.Message);
    }

    [Fact]
    public void Backtick_escape_continues_lines_and_backslash_is_literal()
    {
        var s = P.Parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo\n");
        Assert.Equal("dir c:\\   && echo", s.Instructions[1].Args[0]);
    }

    [Fact]
    public void Directive_values_are_trimmed()
    {
        var s = P.Parse("#   syntax   =   a/b:1   \nFROM a\n");
        Assert.Equal("a/b:1", s.Directive("syntax"));
    }
}
