using Csbuild.Cli.Commands;
using Csbuild.Frontend.Outline;

namespace Csbuild.Cli.Tests;

public sealed class CallModeTests
{
    [Fact]
    public void Parses_methods_formats_and_the_check_shorthand()
    {
        Assert.Equal(CallMode.Build, CallMode.Parse(null, checkFlag: false));
        Assert.Equal(new CallMode("check", false), CallMode.Parse(null, checkFlag: true));
        Assert.Equal(new CallMode("check", false), CallMode.Parse("check", checkFlag: true));
        Assert.Equal(new CallMode("outline", true), CallMode.Parse("outline,format=json", checkFlag: false));
        Assert.Equal(new CallMode("targets", false), CallMode.Parse("TARGETS,format=text", checkFlag: false));
        Assert.Contains("expected build, check, outline or targets", Assert.Throws<CliException>(() => CallMode.Parse("lint", false)).Message);
        Assert.Contains("format", Assert.Throws<CliException>(() => CallMode.Parse("outline,format=yaml", false)).Message);
        Assert.Throws<CliException>(() => CallMode.Parse("outline", checkFlag: true));
    }

    [Fact]
    public void Outline_text_is_laid_out_as_buildkit_prints_it()
    {
        var outline = new BuildOutline(null, null,
            [new OutlineArg("GO_VERSION", "1.22", "the Go toolchain", 2), new OutlineArg("X", null, null, 3)],
            [new OutlineSecret("aws", true, 5)], []);
        Assert.Equal("""
            BUILD ARG    VALUE   DESCRIPTION
            GO_VERSION   1.22    the Go toolchain
            X

            SECRET   REQUIRED
            aws      true


            """.Replace("\r\n", "\n"), CallMode.FormatOutline(outline, json: false));
    }

    [Fact]
    public void Outline_json_leaves_out_what_is_empty()
    {
        var outline = new BuildOutline("release", "ships it", [new OutlineArg("A", "", null, 1)], [], [new OutlineSecret("default", false, 4)]);
        using var doc = System.Text.Json.JsonDocument.Parse(CallMode.FormatOutline(outline, json: true));
        var rootElement = doc.RootElement;
        Assert.Equal("release", rootElement.GetProperty("name").GetString());
        Assert.Equal("ships it", rootElement.GetProperty("description").GetString());
        Assert.False(rootElement.GetProperty("args")[0].TryGetProperty("value", out _));
        Assert.False(rootElement.TryGetProperty("secrets", out _));
        Assert.False(rootElement.GetProperty("ssh")[0].TryGetProperty("required", out _));
        Assert.Equal(4, rootElement.GetProperty("ssh")[0].GetProperty("location").GetProperty("ranges")[0].GetProperty("start").GetProperty("line").GetInt32());
    }

    [Fact]
    public void Targets_text_marks_the_default()
    {
        var targets = new[]
        {
            new BuildTarget("build", "compiles", false, "golang", null, 1),
            new BuildTarget(null, null, true, "alpine", null, 5),
        };
        Assert.Equal("TARGET    DESCRIPTION\nbuild     compiles\n(default)\n", CallMode.FormatTargets(targets, json: false));
    }
}
