using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Conversion;

public class FromAndStageTests
{
    [Fact]
    public void From_scratch_is_a_scratch_vertex_with_a_default_path()
    {
        var g = Conv.Graph("FROM scratch\n");
        Assert.IsType<ScratchOp>(g.Output.Op);
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], g.Config.Config.Env);
        Assert.Equal("amd64", g.Config.Architecture);
        Assert.Empty(g.History);
        Assert.Equal("context", Assert.Single(g.Locals).Key);
    }

    [Fact]
    public void From_image_resolves_it_and_starts_from_its_config()
    {
        var images = Conv.DefaultImages();
        var g = Conv.Graph("FROM busybox\n", images);
        var op = Assert.IsType<ImageOp>(g.Output.Op);
        Assert.Equal("busybox", op.Reference);
        Assert.Equal(["sh"], g.Config.Config.Cmd);
        Assert.Equal("/home", g.Config.Config.WorkingDir);
        Assert.Equal("base layer of busybox", Assert.Single(g.Config.History).CreatedBy);
        Assert.Equal(("busybox", "linux/amd64"), Assert.Single(images.Calls));
        Assert.StartsWith("[1/1] FROM docker.io/library/busybox@sha256:", g.Output.Name);
    }

    [Fact]
    public void Unknown_base_image_is_an_error_at_the_from_line()
    {
        var e = Conv.Error("FROM nothere:1\n");
        Assert.Equal(1, e.Line);
        Assert.Contains("nothere:1", e.Message);
    }

    [Fact]
    public void From_an_earlier_stage_continues_its_filesystem_config_and_history()
    {
        var g = Conv.Graph("FROM busybox AS base\nENV A=1\nRUN touch /x\nFROM base\nRUN ls\n");
        var run = Assert.IsType<ExecOp>(g.Output.Op);
        Assert.Equal(["/bin/sh", "-c", "ls"], run.Args);
        Assert.IsType<ExecOp>(g.Output.Inputs[0].Op);
        Assert.Contains("A=1", g.Config.Config.Env!);
        Assert.Equal(["ENV A=1", "RUN /bin/sh -c touch /x # buildkit", "RUN /bin/sh -c ls # buildkit"], g.History.Select(h => h.CreatedBy));
        Assert.Equal("[stage-1 2/2] RUN ls", g.Output.Name);
        Assert.Equal("[base 2/2] RUN touch /x", g.Output.Inputs[0].Name);
    }

    [Fact]
    public void Stage_names_are_case_insensitive()
    {
        var g = Conv.Graph("FROM busybox AS Build\nRUN a\nFROM BUILD\n");
        Assert.IsType<ExecOp>(g.Output.Op);
    }

    [Fact]
    public void Target_selects_a_stage_and_only_needed_stages_are_resolved()
    {
        var images = Conv.DefaultImages();
        var g = Conv.Graph("FROM alpine AS a\nRUN one\nFROM busybox AS b\nRUN two\nFROM nothere AS c\n", images, target: "b");
        Assert.Equal(["/bin/sh", "-c", "two"], Assert.IsType<ExecOp>(g.Output.Op).Args);
        Assert.Equal(["busybox"], images.Calls.Select(c => c.Reference));
    }

    [Fact]
    public void Unknown_target_is_an_error_listing_the_stages()
    {
        var e = Conv.Error("FROM alpine AS a\nFROM alpine AS b\n", target: "c");
        Assert.Contains("target stage \"c\" could not be found", e.Message);
        Assert.Contains("a, b", e.Hint);
    }

    [Fact]
    public void Copy_from_a_stage_pulls_it_in_even_when_it_comes_later_in_dependency_order()
    {
        var images = Conv.DefaultImages();
        var g = Conv.Graph("FROM alpine AS unused\nFROM busybox AS build\nRUN make\nFROM alpine\nCOPY --from=build /out /app/\n", images);
        var copy = Assert.Single(Assert.IsType<FileOp>(g.Output.Op).Actions);
        Assert.Equal(1, ((CopyAction)copy).SourceInput);
        Assert.Equal("[build 2/2] RUN make", g.Output.Inputs[1].Name);
        Assert.Equal(["busybox", "alpine"], images.Calls.Select(c => c.Reference));
    }

    [Fact]
    public void Copy_from_by_index_and_from_an_image()
    {
        var g = Conv.Graph("FROM busybox\nRUN make\nFROM alpine\nCOPY --from=0 /a /b\nCOPY --from=nginx:1 /etc/nginx /n/\n");
        var fromImage = g.Output.Inputs[1];
        Assert.Equal("nginx:1", Assert.IsType<ImageOp>(fromImage.Op).Reference);
        var fromIndex = g.Output.Inputs[0].Inputs[1];
        Assert.IsType<ExecOp>(fromIndex.Op);
    }

    [Fact]
    public void Copy_from_an_invalid_index_or_itself_is_an_error()
    {
        Assert.Contains("invalid stage index 5", Conv.Error("FROM alpine\nCOPY --from=5 a b\n").Message);
        Assert.Contains("circular dependency", Conv.Error("FROM alpine AS x\nCOPY --from=x a b\n").Message);
    }

    [Fact]
    public void Circular_stage_dependencies_are_detected()
    {
        var e = Conv.Error("FROM alpine AS a\nCOPY --from=b x y\nFROM alpine AS b\nCOPY --from=a x y\n");
        Assert.Contains("circular dependency detected", e.Message);
    }

    [Fact]
    public void From_platform_is_expanded_and_passed_to_the_resolver()
    {
        var images = Conv.DefaultImages();
        var g = Conv.Graph("FROM --platform=$BUILDPLATFORM alpine\n", images);
        Assert.Equal("linux/amd64", Assert.IsType<ImageOp>(g.Output.Op).Platform);
        Assert.Equal("linux/amd64", images.Calls[0].Platform);
    }

    [Fact]
    public void A_foreign_target_platform_is_asked_of_the_image_op_and_resolver()
    {
        var images = Conv.DefaultImages();
        var g = Conv.Graph(Conv.Request("FROM alpine\nCOPY --from=busybox /bin/sh /sh\n") with { Platform = "linux/s390x" }, images);
        Assert.Equal("linux/s390x", Assert.IsType<ImageOp>(g.Output.Inputs[0].Op).Platform);
        Assert.Equal("linux/s390x", Assert.IsType<ImageOp>(g.Output.Inputs[1].Op).Platform);
        Assert.Equal("linux/s390x", images.Calls[0].Platform);
        var host = Conv.Graph(Conv.Request("FROM alpine\n") with { Platform = PlatformSpec.Host });
        Assert.Null(Assert.IsType<ImageOp>(host.Output.Op).Platform);
    }

    [Fact]
    public void Global_args_expand_from_lines_and_build_args_override_them()
    {
        var images = Conv.DefaultImages();
        Conv.Graph("ARG BASE=alpine\nFROM ${BASE}\n", images, a => a["BASE"] = "busybox");
        Assert.Equal("busybox", images.Calls[0].Reference);
    }

    [Fact]
    public void Undeclared_arg_leaving_from_blank_is_an_error_with_a_hint()
    {
        var e = Conv.Error("FROM $IMAGE\n");
        Assert.Contains("base name ($IMAGE) should not be blank", e.Message);
        Assert.Contains("ARG IMAGE", e.Hint);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void Invalid_stage_names_and_from_arity_are_errors()
    {
        Assert.Contains("invalid name for build stage", Conv.Error("FROM alpine AS 1st\n").Message);
        Assert.Contains("FROM requires either one or three arguments", Conv.Error("FROM alpine AS\n").Message);
    }

    [Fact]
    public void Instructions_before_from_other_than_arg_are_errors()
    {
        var e = Conv.Error("RUN x\nFROM alpine\n");
        Assert.Contains("no build stage in current context", e.Message);
    }

    [Fact]
    public void No_cache_marks_every_vertex_and_the_filter_only_named_stages()
    {
        var all = Conv.Graph(Conv.Request("FROM alpine\nRUN a\nCOPY x /y\n") with { NoCache = true });
        Assert.All(Conv.Chain(all.Output), v => Assert.True(v.IgnoreCache));
        Assert.True(all.Output.Inputs[1].IgnoreCache);

        var filtered = Conv.Graph(Conv.Request("FROM alpine AS dep\nRUN a\nFROM busybox AS final\nCOPY --from=dep /a /b\nRUN b\n")
            with { NoCacheFilter = ["final"] });
        Assert.True(filtered.Output.IgnoreCache);
        Assert.False(filtered.Output.Inputs[0].Inputs[1].IgnoreCache);
    }

    [Fact]
    public void Onbuild_triggers_of_the_base_image_run_first_and_are_not_inherited()
    {
        var images = Conv.DefaultImages().Add("onbuild-base", c => c.OnBuild = ["RUN echo trigger", "ENV T=1"]);
        var g = Conv.Graph("FROM onbuild-base\nRUN echo mine\n", images);
        var chain = Conv.Chain(g.Output);
        Assert.Equal(["/bin/sh", "-c", "echo trigger"], Assert.IsType<ExecOp>(chain[1].Op).Args);
        Assert.Equal("[2/3] ONBUILD RUN echo trigger", chain[1].Name);
        Assert.Contains("T=1", Assert.IsType<ExecOp>(chain[2].Op).Env);
        Assert.Null(g.Config.Config.OnBuild);
    }

    [Fact]
    public void Labels_of_the_request_apply_to_the_final_config()
    {
        var g = Conv.Graph(Conv.Request("FROM alpine\nLABEL a=1\n") with { Labels = new Dictionary<string, string> { ["b"] = "2", ["a"] = "3" } });
        Assert.Equal(new Dictionary<string, string> { ["a"] = "3", ["b"] = "2" }, g.Config.Config.Labels);
    }

    [Fact]
    public void Progress_names_are_padded_like_buildkit()
    {
        var lines = string.Concat(Enumerable.Range(0, 11).Select(i => $"RUN s{i}\n"));
        var g = Conv.Graph("FROM alpine\n" + lines);
        Assert.Equal("[12/12] RUN s10", g.Output.Name);
        Assert.StartsWith("[ 1/12] FROM ", Conv.Chain(g.Output)[0].Name);
    }
}
