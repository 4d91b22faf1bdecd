using Csbuild.Frontend.Tests.Conversion;

namespace Csbuild.Frontend.Tests.Outline;

public class OutlineTests
{
    private const string Dockerfile = """
        # VERSION the base image tag
        ARG VERSION=3.19
        ARG UNUSED=1

        # base prepares the toolchain
        FROM alpine:${VERSION} AS base
        # GOFLAGS flags for go build
        ARG GOFLAGS=-trimpath
        RUN --mount=type=secret,id=npmrc,required --mount=type=ssh echo

        FROM base AS test
        ARG TESTFLAGS
        RUN --mount=type=secret,id=token,target=/t --mount=type=secret,id=npmrc echo

        # release is the image we ship
        FROM base AS release
        ARG REVISION
        """;

    [Fact]
    public void Outline_lists_the_args_secrets_and_ssh_of_the_target_stages_only()
    {
        var outline = DockerfileFrontend.Outline(Conv.Request(Dockerfile, a => a["REVISION"] = "abc", target: "release"));
        Assert.Equal("release", outline.Name);
        Assert.Equal("is the image we ship", outline.Description);
        Assert.Equal(["VERSION", "GOFLAGS", "REVISION"], outline.Args.Select(a => a.Name));
        Assert.Equal(("3.19", "the base image tag"), (outline.Args[0].Value, outline.Args[0].Description));
        Assert.Equal(("-trimpath", "flags for go build"), (outline.Args[1].Value, outline.Args[1].Description));
        Assert.Equal("abc", outline.Args[2].Value);
        var secret = Assert.Single(outline.Secrets);
        Assert.Equal(("npmrc", true), (secret.Name, secret.Required));
        Assert.Equal(("default", false), (outline.Ssh[0].Name, outline.Ssh[0].Required));
    }

    [Fact]
    public void Outline_of_another_target_sees_its_own_secrets()
    {
        var outline = DockerfileFrontend.Outline(Conv.Request(Dockerfile, target: "test"));
        Assert.Equal(["npmrc", "token"], outline.Secrets.Select(s => s.Name));
        Assert.Contains(outline.Args, a => a.Name == "TESTFLAGS" && a.Value is null);
        Assert.Null(outline.Description);
    }

    [Fact]
    public void Targets_lists_every_stage_with_its_description_and_the_default()
    {
        var targets = DockerfileFrontend.Targets(Dockerfile.Replace("\r\n", "\n"));
        Assert.Equal(["base", "test", "release"], targets.Select(t => t.Name));
        Assert.Equal("prepares the toolchain", targets[0].Description);
        Assert.Null(targets[1].Description);
        Assert.Equal([false, false, true], targets.Select(t => t.Default));
        Assert.Equal("alpine:${VERSION}", targets[0].Base);
    }

    [Fact]
    public void A_global_arg_counts_only_when_a_needed_from_uses_it_by_its_exact_name()
    {
        var outline = DockerfileFrontend.Outline(Conv.Request("ARG A=1\nARG AB=2\nARG UNSET\nFROM alpine:${AB}-$UNSET\n"));
        Assert.Equal(["AB", "UNSET"], outline.Args.Select(a => a.Name));
        Assert.Null(outline.Args[1].Value);
    }

    [Fact]
    public void A_comment_not_starting_with_the_name_is_no_description()
    {
        var targets = DockerfileFrontend.Targets("# the build stage\nFROM alpine AS build\n");
        Assert.Null(targets[0].Description);
    }
}
