namespace Csbuild.Frontend.Tests.Parsing;

public class ArgumentTests
{
    [Theory]
    [InlineData("RUN echo \"a  b\"   c", "echo \"a  b\"   c")]
    [InlineData("CMD   echo x  ", "echo x")]
    [InlineData("ENTRYPOINT top -b", "top -b")]
    [InlineData("SHELL pwsh -c", "pwsh -c")]
    public void Shell_form_is_one_string_as_written(string line, string expected)
    {
        var n = P.Second(line);
        Assert.False(n.Json);
        Assert.Equal([expected], n.Args);
    }

    [Theory]
    [InlineData("RUN [\"echo\", \"a b\"]", new[] { "echo", "a b" })]
    [InlineData("CMD [ \"x\" ,\"\\u00e9\\n\" ]  ", new[] { "x", "é\n" })]
    [InlineData("ENTRYPOINT []", new string[0])]
    [InlineData("SHELL [\"/bin/bash\", \"-c\"]", new[] { "/bin/bash", "-c" })]
    [InlineData("VOLUME [\"/a\", \"/b c\"]", new[] { "/a", "/b c" })]
    [InlineData("COPY [\"a b\", \"/c/\"]", new[] { "a b", "/c/" })]
    [InlineData("ADD [\"x\", \"/y\"]", new[] { "x", "/y" })]
    public void Exec_form_is_the_decoded_json_strings(string line, string[] expected)
    {
        var n = P.Second(line);
        Assert.True(n.Json);
        Assert.Equal(expected, n.Args);
    }

    [Theory]
    [InlineData("RUN [\"echo\", 'single']")]
    [InlineData("RUN [\"unterminated]")]
    [InlineData("CMD [\"a\"] trailing")]
    [InlineData("CMD [\"a\",]")]
    public void Invalid_json_falls_back_to_shell_form(string line)
    {
        var n = P.Second(line);
        Assert.False(n.Json);
        Assert.Equal([line[(line.IndexOf(' ') + 1)..]], n.Args);
    }

    [Theory]
    [InlineData("RUN [1]")]
    [InlineData("CMD [\"a\", null]")]
    [InlineData("COPY [\"a\", [\"b\"]]")]
    public void Json_arrays_with_non_strings_are_errors(string line)
    {
        var e = P.Error("FROM a\n" + line + "\n");
        Assert.Contains("arrays must be comprised of strings only", e.Message);
    }

    [Fact]
    public void Copy_add_volume_shell_form_split_at_blanks_without_quote_handling()
    {
        Assert.Equal(["\"a", "b\"", "/c/"], P.Second("COPY \"a b\" /c/").Args);
        Assert.Equal(["/a", "/b"], P.Second("VOLUME /a\t /b").Args);
        Assert.Equal(["http://x/y", "/z"], P.Second("ADD http://x/y /z").Args);
    }

    [Fact]
    public void From_and_expose_split_at_blanks()
    {
        Assert.Equal(["img:1", "AS", "build"], P.Parse("FROM img:1   AS build\n").Instructions[0].Args);
        Assert.Equal(["80", "443/udp", "8000-8010"], P.Second("EXPOSE 80 443/udp  8000-8010").Args);
    }

    [Fact]
    public void Env_new_form_keeps_quotes_and_escapes()
    {
        var n = P.Second("ENV A=1 B=\"two words\" C=three\\ words D='x y' E=");
        Assert.Equal(["A", "1", "B", "\"two words\"", "C", "three\\ words", "D", "'x y'", "E", ""], n.Args);
        Assert.False(n.LegacyKeyValueForm);
    }

    [Fact]
    public void Env_legacy_form_is_key_and_rest_of_line()
    {
        var n = P.Second("ENV a b c");
        Assert.Equal(["a", "b c"], n.Args);
        Assert.True(n.LegacyKeyValueForm);
        Assert.Equal(["MY", "\"x\"  y"], P.Second("ENV MY \"x\"  y").Args);
    }

    [Fact]
    public void Env_legacy_form_needs_a_value()
    {
        var e = P.Error("FROM a\nENV onlykey\n");
        Assert.Contains("ENV must have two arguments", e.Message);
    }

    [Fact]
    public void Env_new_form_rejects_a_word_without_equals()
    {
        var e = P.Error("FROM a\nENV A=1 B\n");
        Assert.Contains("can't find = in \"B\"", e.Message);
        Assert.Equal(2, e.Line);
        Assert.Equal(5, e.Column);
    }

    [Fact]
    public void Label_is_split_like_env()
    {
        Assert.Equal(["\"com.example.vendor\"", "\"ACME Inc\"", "version", "1.0"],
            P.Second("LABEL \"com.example.vendor\"=\"ACME Inc\" version=1.0").Args);
        Assert.Equal(["description", "a b"], P.Second("LABEL description a b").Args);
    }

    [Fact]
    public void Multiline_label_keeps_pairs()
    {
        var n = P.Second("LABEL a=1 \\\n      b=2");
        Assert.Equal(["a", "1", "b", "2"], n.Args);
    }

    [Fact]
    public void Arg_is_its_words()
    {
        Assert.Equal(["A", "B=2", "C=\"x y\""], P.Second("ARG A B=2 C=\"x y\"").Args);
        Assert.Equal(["V=${X:-a b}"], P.Second("ARG V=${X:-a\\ b}").Args.Select(a => a.Replace("\\ ", " ")));
    }

    [Theory]
    [InlineData("MAINTAINER Jane Doe <j@x>", "Jane Doe <j@x>")]
    [InlineData("USER app:app", "app:app")]
    [InlineData("WORKDIR /a b", "/a b")]
    [InlineData("STOPSIGNAL SIGKILL", "SIGKILL")]
    public void Single_string_instructions(string line, string expected) =>
        Assert.Equal([expected], P.Second(line).Args);

    [Fact]
    public void Healthcheck_is_type_then_command()
    {
        var shell = P.Second("HEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/ || exit 1");
        Assert.Equal(["--interval=5m", "--timeout=3s"], shell.Flags);
        Assert.Equal(["CMD", "curl -f http://localhost/ || exit 1"], shell.Args);
        Assert.False(shell.Json);
        var exec = P.Second("HEALTHCHECK CMD [\"/bin/check\", \"-q\"]");
        Assert.Equal(["CMD", "/bin/check", "-q"], exec.Args);
        Assert.True(exec.Json);
        Assert.Equal(["NONE"], P.Second("HEALTHCHECK NONE").Args);
    }

    [Fact]
    public void Onbuild_holds_its_trigger_as_next()
    {
        var n = P.Second("ONBUILD COPY --chown=1 . /app/src");
        Assert.Equal(["COPY --chown=1 . /app/src"], n.Args);
        Assert.NotNull(n.Next);
        Assert.Equal("copy", n.Next!.Command);
        Assert.Equal(["--chown=1"], n.Next.Flags);
        Assert.Equal([".", "/app/src"], n.Next.Args);
    }

    [Fact]
    public void Onbuild_onbuild_is_refused()
    {
        var e = P.Error("FROM a\nONBUILD ONBUILD RUN x\n");
        Assert.Contains("ONBUILD ONBUILD", e.Message);
    }

    [Fact]
    public void Instructions_without_arguments_have_none()
    {
        Assert.Empty(P.Second("CMD").Args);
        Assert.Empty(P.Second("ENV").Args);
        Assert.Empty(P.Second("ARG").Args);
    }
}
