using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Conversion;

public class ArgScopeTests
{
    private static IReadOnlyList<string> RunEnv(string dockerfile, Action<Dictionary<string, string>>? args = null, string? target = null) =>
        Assert.IsType<ExecOp>(Conv.Graph(dockerfile, buildArgs: args, target: target).Output.Op).Env;

    [Fact]
    public void Global_args_are_not_visible_in_a_stage_until_redeclared()
    {
        var env = RunEnv("ARG V=global\nFROM alpine\nRUN echo $V\n");
        Assert.DoesNotContain(env, e => e.StartsWith("V="));
        var redeclared = RunEnv("ARG V=global\nFROM alpine\nARG V\nRUN echo $V\n");
        Assert.Contains("V=global", redeclared);
    }

    [Fact]
    public void A_stage_default_wins_over_the_global_value_and_build_args_win_over_both()
    {
        Assert.Contains("V=stage", RunEnv("ARG V=global\nFROM alpine\nARG V=stage\nRUN x\n"));
        Assert.Contains("V=cli", RunEnv("ARG V=global\nFROM alpine\nARG V=stage\nRUN x\n", a => a["V"] = "cli"));
        Assert.Contains("V=cli", RunEnv("ARG V=global\nFROM alpine\nARG V\nRUN x\n", a => a["V"] = "cli"));
    }

    [Fact]
    public void An_arg_without_value_or_build_arg_is_unset()
    {
        var g = Conv.Graph("FROM alpine\nARG NOVALUE\nRUN echo ${NOVALUE:-empty}\n");
        Assert.DoesNotContain(Assert.IsType<ExecOp>(g.Output.Op).Env, e => e.StartsWith("NOVALUE"));
        Assert.Equal("RUN |1 NOVALUE= /bin/sh -c echo ${NOVALUE:-empty} # buildkit", g.History[^1].CreatedBy);
        Assert.Equal("ARG NOVALUE", g.History[0].CreatedBy);
    }

    [Fact]
    public void Arg_history_records_the_resolved_value()
    {
        var g = Conv.Graph("ARG G=global\nFROM alpine\nARG V=1 G\n", buildArgs: a => a["V"] = "2");
        Assert.Equal("ARG V=2 G=global", g.History[0].CreatedBy);
    }

    [Fact]
    public void A_build_arg_skips_expanding_the_default()
    {
        var env = RunEnv("FROM alpine\nARG V=${REQUIRED:?}\nRUN x\n", a => a["V"] = "given");
        Assert.Contains("V=given", env);
    }

    [Fact]
    public void Args_are_scoped_to_their_stage()
    {
        var env = RunEnv("FROM alpine AS a\nARG ONLY_A=1\nFROM alpine\nRUN x\n");
        Assert.DoesNotContain(env, e => e.StartsWith("ONLY_A"));
    }

    [Fact]
    public void Arg_defaults_can_use_earlier_args_and_env()
    {
        Assert.Contains("B=x-1", RunEnv("FROM alpine\nENV E=x\nARG A=1\nARG B=$E-$A\nRUN x\n"));
        Assert.Contains("C=two", RunEnv("ARG G=two\nARG C=$G\nFROM alpine\nARG C\nRUN x\n"));
    }

    [Fact]
    public void Platform_args_are_predefined_globally_and_need_declaring_in_a_stage()
    {
        var images = Conv.DefaultImages();
        Conv.Graph("FROM alpine\nARG TARGETARCH\nRUN x\n", images);
        var env = RunEnv("FROM alpine\nARG TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM\nRUN x\n");
        Assert.Contains("TARGETPLATFORM=linux/amd64", env);
        Assert.Contains("TARGETOS=linux", env);
        Assert.Contains("TARGETARCH=amd64", env);
        Assert.Contains("TARGETVARIANT=", env);
        Assert.Contains(env, e => e.StartsWith("BUILDPLATFORM=linux/"));
        Assert.DoesNotContain(RunEnv("FROM alpine\nRUN x\n"), e => e.StartsWith("TARGET"));
    }

    [Fact]
    public void Target_platform_follows_the_request()
    {
        var request = Conv.Request("FROM alpine\nARG TARGETARCH TARGETVARIANT\nRUN x\n") with { Platform = "linux/arm/v7" };
        var env = Assert.IsType<ExecOp>(Conv.Graph(request).Output.Op).Env;
        Assert.Contains("TARGETARCH=arm", env);
        Assert.Contains("TARGETVARIANT=v7", env);
    }

    [Fact]
    public void Expansion_modifiers_work_in_instructions()
    {
        var g = Conv.Graph("FROM alpine\nARG FILE=archive.tar.gz\nENV A=${FILE%%.*} B=${FILE#*.} C=${FILE/tar/zip} D=${UNSET:-dflt} E=${FILE:+set}\n");
        Assert.Contains("A=archive", g.Config.Config.Env!);
        Assert.Contains("B=tar.gz", g.Config.Config.Env!);
        Assert.Contains("C=archive.zip.gz", g.Config.Config.Env!);
        Assert.Contains("D=dflt", g.Config.Config.Env!);
        Assert.Contains("E=set", g.Config.Config.Env!);
    }

    [Fact]
    public void Required_variable_error_is_located()
    {
        var e = Conv.Error("FROM alpine\nENV A=\"${MISSING:?must be set}\"\n");
        Assert.Equal(2, e.Line);
        Assert.Contains("MISSING: must be set", e.Message);
    }
}
