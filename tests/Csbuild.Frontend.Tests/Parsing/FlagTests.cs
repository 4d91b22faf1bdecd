namespace Csbuild.Frontend.Tests.Parsing;

public class FlagTests
{
    [Fact]
    public void Leading_double_dash_words_are_flags()
    {
        var n = P.Second("COPY --from=build --chown=app:app --chmod=644 --link src /dst/");
        Assert.Equal(["--from=build", "--chown=app:app", "--chmod=644", "--link"], n.Flags);
        Assert.Equal(["src", "/dst/"], n.Args);
    }

    [Fact]
    public void Flag_quotes_group_and_are_removed()
    {
        var n = P.Second("RUN --mount=type=secret,id=\"my id\" --network='none' echo");
        Assert.Equal(["--mount=type=secret,id=my id", "--network=none"], n.Flags);
        Assert.Equal(["echo"], n.Args);
    }

    [Fact]
    public void Double_dash_ends_flags()
    {
        var n = P.Second("RUN --network=host -- --not-a-flag");
        Assert.Equal(["--network=host"], n.Flags);
        Assert.Equal(["--not-a-flag"], n.Args);
    }

    [Fact]
    public void Flags_stop_at_the_first_non_flag_word()
    {
        var n = P.Second("RUN echo --network=host");
        Assert.Empty(n.Flags);
        Assert.Equal(["echo --network=host"], n.Args);
    }

    [Theory]
    [InlineData("FROM --platform=linux/arm64 alpine", "--platform=linux/arm64")]
    [InlineData("ADD --checksum=sha256:abc https://x/y /z", "--checksum=sha256:abc")]
    [InlineData("ADD --keep-git-dir=true https://g/x.git /z", "--keep-git-dir=true")]
    [InlineData("COPY --parents a/b /z/", "--parents")]
    [InlineData("COPY --exclude=*.md . /z/", "--exclude=*.md")]
    [InlineData("RUN --security=insecure x", "--security=insecure")]
    [InlineData("HEALTHCHECK --start-period=3s --start-interval=1s --retries=3 CMD x", "--start-period=3s")]
    public void Every_known_flag_is_split_off(string line, string firstFlag)
    {
        var s = P.Parse((line.StartsWith("FROM") ? "" : "FROM a\n") + line + "\n");
        Assert.Equal(firstFlag, s.Instructions[^1].Flags[0]);
    }
}
