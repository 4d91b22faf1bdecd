using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Conversion;

public class NamedContextTests
{
    private static BuildGraph Graph(string dockerfile, params (string Name, NamedContext Context)[] contexts) =>
        Conv.Graph(Conv.Request(dockerfile) with { NamedContexts = contexts.ToDictionary(c => c.Name, c => c.Context) },
            Conv.DefaultImages().Add("mirror/alpine:3").Add("tools"));

    private static readonly LocalSource Dir = new("/srv/assets", ["*.tmp"]);

    [Fact]
    public void An_image_context_replaces_the_image_in_from_by_its_short_name()
    {
        var g = Graph("FROM docker.io/library/alpine:latest\nRUN x\n", ("alpine", new ImageNamedContext("mirror/alpine:3")));
        var image = Assert.IsType<ImageOp>(g.Output.Inputs[0].Op);
        Assert.Equal("mirror/alpine:3", image.Reference);
    }

    [Fact]
    public void A_directory_context_is_a_local_source_for_copy_from_and_run_mounts()
    {
        var g = Graph("FROM alpine\nCOPY --from=assets /logo.png /srv/\nRUN --mount=from=assets,target=/a cat /a/x\n", ("assets", new LocalNamedContext(Dir)));
        var copy = g.Output.Inputs[0];
        var local = Assert.IsType<LocalOp>(copy.Inputs[1].Op);
        Assert.Equal("named-context:assets", local.Name);
        Assert.Same(copy.Inputs[1], g.Output.Inputs[1]); // one vertex per named directory
        Assert.Equal(Dir, g.Locals["named-context:assets"]);
        Assert.Equal("/nonexistent-context-for-tests", g.Locals["context"].Directory);
    }

    [Fact]
    public void From_a_directory_context_copies_its_files_onto_scratch()
    {
        var g = Graph("FROM assets\nRUN ls\n", ("assets", new LocalNamedContext(Dir)));
        var from = g.Output.Inputs[0];
        var copy = Assert.IsType<CopyAction>(Assert.Single(Assert.IsType<FileOp>(from.Op).Actions));
        Assert.Equal(["/"], copy.Sources);
        Assert.Equal("/", copy.Dest);
        Assert.IsType<ScratchOp>(from.Inputs[0].Op);
        Assert.IsType<LocalOp>(from.Inputs[1].Op);
    }

    [Fact]
    public void A_context_named_like_a_stage_replaces_the_stage_and_its_instructions()
    {
        var dockerfile = "FROM alpine AS deps\nRUN exit 1\nFROM alpine\nCOPY --from=deps /lib /lib\n";
        var g = Graph(dockerfile, ("deps", new ImageNamedContext("tools")));
        var source = g.Output.Inputs[1];
        Assert.Equal("tools", Assert.IsType<ImageOp>(source.Op).Reference);
        var copyFromStage = Conv.Graph(dockerfile).Output.Inputs[1];
        Assert.IsType<ExecOp>(copyFromStage.Op); // without the context, the stage's RUN is its result
    }

    [Fact]
    public void Copy_from_an_image_context()
    {
        var g = Graph("FROM alpine\nCOPY --from=tools:1 /bin/x /x\n", ("tools:1", new ImageNamedContext("mirror/alpine:3")));
        Assert.Equal("mirror/alpine:3", Assert.IsType<ImageOp>(g.Output.Inputs[1].Op).Reference);
    }

    [Theory]
    [InlineData("docker.io/library/alpine:latest", "alpine")]
    [InlineData("alpine:latest", "alpine")]
    [InlineData("docker.io/user/app", "user/app")]
    [InlineData("registry:5000/app:latest", "registry:5000/app")]
    [InlineData("registry:5000/app", "registry:5000/app")]
    [InlineData("alpine:3", "alpine:3")]
    public void Familiar_names(string reference, string familiar) =>
        Assert.Equal(familiar, Frontend.Conversion.NamedContexts.Familiar(reference));
}
