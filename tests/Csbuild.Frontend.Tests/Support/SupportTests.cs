using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Tests.Support;

public class SupportTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("300ms", 300_000_000L)]
    [InlineData("1.5s", 1_500_000_000L)]
    [InlineData("1h30m", 5_400_000_000_000L)]
    [InlineData("2m3s", 123_000_000_000L)]
    [InlineData("10us", 10_000L)]
    [InlineData("10µs", 10_000L)]
    [InlineData("5ns", 5L)]
    [InlineData(".5s", 500_000_000L)]
    [InlineData("-1s", -1_000_000_000L)]
    public void Go_durations_parse_to_nanoseconds(string text, long expected)
    {
        Assert.True(GoDuration.TryParse(text, out var ns));
        Assert.Equal(expected, ns);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5x")]
    [InlineData("s")]
    [InlineData("1.s.")]
    [InlineData("99999999999999999999h")]
    public void Invalid_go_durations_are_rejected(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1_500_000_000L, "1.5s")]
    [InlineData(300_000_000_000L, "5m0s")]
    [InlineData(5_400_000_000_000L, "1h30m0s")]
    [InlineData(500_000_000L, "500ms")]
    [InlineData(1_500L, "1.5µs")]
    [InlineData(7L, "7ns")]
    public void Go_durations_format_like_go(long ns, string expected) => Assert.Equal(expected, GoDuration.Format(ns));

    [Theory]
    [InlineData("linux/amd64", "linux", "amd64", null)]
    [InlineData("linux/arm64/v8", "linux", "arm64", null)]
    [InlineData("linux/arm", "linux", "arm", "v7")]
    [InlineData("linux/arm/v6", "linux", "arm", "v6")]
    [InlineData("x86_64", "linux", "amd64", null)]
    [InlineData("LINUX/AARCH64", "linux", "arm64", null)]
    public void Platforms_are_normalised(string text, string os, string arch, string? variant) =>
        Assert.Equal(new PlatformSpec(os, arch, variant), PlatformSpec.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("linux//amd64")]
    [InlineData("a/b/c/d")]
    public void Bad_platforms_are_rejected(string text) => Assert.Throws<FormatException>(() => PlatformSpec.Parse(text));

    [Fact]
    public void Host_platform_is_linux() => Assert.StartsWith("linux/", PlatformSpec.Host);

    [Fact]
    public void Unterminated_quote_errors_carry_a_hint()
    {
        var e = Assert.Throws<DockerfileParseException>(() => Conversion.Conv.Graph("FROM alpine\nENV A=\"abc\n"));
        Assert.Contains("matching double-quote", e.Message);
        Assert.Contains("unterminated quote", e.Hint);
        Assert.Equal(2, e.Line);
    }
}
