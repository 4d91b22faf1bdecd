using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary><c>--build-context</c> and <c>--call</c>, through the real CLI.</summary>
[Collection("busybox")]
public sealed class BuildContextTests(BusyboxStoreFixture busybox)
{
    private static void AssertOk(ProcessResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    [Fact]
    public void Directory_contexts_feed_copy_from_run_mounts_and_from()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("assets/logo.txt", "logo\n");
        dir.Write("assets/skip.tmp", "ignored\n");
        dir.Write("assets/.dockerignore", "*.tmp\n");
        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest
            COPY --from=assets logo.txt /from-copy
            COPY --from=assets . /all/
            RUN --mount=from=assets,target=/a cat /a/logo.txt > /from-mount
            """);
        var output = dir.Combine("out");
        AssertOk(CsbuildProgram.Run(root, "build", "--build-context", "assets=" + dir.Combine("assets"), "-o", "type=local,dest=" + output, dir.Combine("ctx")));
        Assert.Equal("logo\n", File.ReadAllText(Path.Combine(output, "from-copy")));
        Assert.Equal("logo\n", File.ReadAllText(Path.Combine(output, "from-mount")));
        Assert.True(File.Exists(Path.Combine(output, "all", "logo.txt")));
        Assert.False(File.Exists(Path.Combine(output, "all", "skip.tmp"))); // the context's own .dockerignore

        dir.Write("ctx/Dockerfile", "FROM assets\n");
        var files = dir.Combine("files");
        AssertOk(CsbuildProgram.Run(root, "build", "--build-context", "assets=" + dir.Combine("assets"), "-o", "type=local,dest=" + files, dir.Combine("ctx")));
        Assert.Equal("logo\n", File.ReadAllText(Path.Combine(files, "logo.txt")));
    }

    [Fact]
    public void Image_and_oci_layout_contexts_replace_images_and_stages()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        // An image to stand in for another name, and the same image as an OCI layout directory.
        dir.Write("marker/Dockerfile", "FROM busybox:latest\nRUN echo marked > /marker\n");
        AssertOk(CsbuildProgram.Run(root, "build", "-t", "marked:1", "-o", "type=oci,dest=" + dir.Combine("marked.tar"), "-o", "type=image", dir.Combine("marker")));
        var layout = dir.Combine("layout");
        Directory.CreateDirectory(layout);
        System.Formats.Tar.TarFile.ExtractToDirectory(dir.Combine("marked.tar"), layout, overwriteFiles: false);

        dir.Write("ctx/Dockerfile", """
            FROM alpine:3.19 AS base
            RUN exit 1

            FROM base
            RUN cat /marker > /seen
            """);
        var viaImage = dir.Combine("via-image");
        AssertOk(CsbuildProgram.Run(root, "build", "--build-context", "base=docker-image://marked:1", "-o", "type=local,dest=" + viaImage, dir.Combine("ctx")));
        Assert.Equal("marked\n", File.ReadAllText(Path.Combine(viaImage, "seen")));

        dir.Write("ctx/Dockerfile", "FROM docker.io/library/alpine:latest\nRUN cat /marker > /seen\n");
        var viaLayout = dir.Combine("via-layout");
        AssertOk(CsbuildProgram.Run(root, "build", "--build-context", "alpine=oci-layout://" + layout, "-o", "type=local,dest=" + viaLayout, dir.Combine("ctx")));
        Assert.Equal("marked\n", File.ReadAllText(Path.Combine(viaLayout, "seen")));

        var bad = CsbuildProgram.Run(root, "build", "--build-context", "alpine=oci-layout://" + dir.Combine("nowhere"), dir.Combine("ctx"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("not an OCI image layout", bad.Stderr);
    }

    private const string CallDockerfile = """
        # VERSION the busybox tag
        ARG VERSION=latest

        # build compiles the thing
        FROM busybox:${VERSION} AS build
        ARG FLAGS=-O2
        RUN --mount=type=secret,id=token,required --mount=type=ssh true

        FROM busybox:latest AS release
        COPY --from=build /bin/sh /sh
        """;

    [Fact]
    public void Call_outline_and_targets_print_without_building()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("empty-root"); // no images: nothing is resolved
        dir.Write("ctx/Dockerfile", CallDockerfile);

        var outline = CsbuildProgram.Run(root, "build", "--call", "outline", "--target", "build", dir.Combine("ctx"));
        AssertOk(outline);
        Assert.Equal("""
            TARGET:      build
            DESCRIPTION: compiles the thing

            BUILD ARG   VALUE    DESCRIPTION
            VERSION     latest   the busybox tag
            FLAGS       -O2

            SECRET   REQUIRED
            token    true

            SSH       REQUIRED
            default


            """.Replace("\r\n", "\n"), outline.Stdout);

        var json = CsbuildProgram.Run(root, "build", "--call", "outline,format=json", dir.Combine("ctx"));
        AssertOk(json);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Stdout);
        var args = doc.RootElement.GetProperty("args");
        Assert.Equal("VERSION", args[0].GetProperty("name").GetString());
        Assert.Equal("latest", args[0].GetProperty("value").GetString());
        Assert.True(doc.RootElement.GetProperty("secrets")[0].GetProperty("required").GetBoolean());

        var targets = CsbuildProgram.Run(root, "build", "--call=targets", dir.Combine("ctx"));
        AssertOk(targets);
        Assert.Equal("TARGET            DESCRIPTION\nbuild             compiles the thing\nrelease (default)\n", targets.Stdout);

        var targetsJson = CsbuildProgram.Run(root, "build", "--call=targets,format=json", dir.Combine("ctx"));
        using var list = System.Text.Json.JsonDocument.Parse(targetsJson.Stdout);
        Assert.True(list.RootElement.GetProperty("Targets")[1].GetProperty("default").GetBoolean());

        var check = CsbuildProgram.Run(busybox.NewRootWithBusybox(dir), "build", "--call=check", dir.Combine("ctx"));
        Assert.Contains("Check complete", check.Stdout);
        var bad = CsbuildProgram.Run(root, "build", "--call=lint", dir.Combine("ctx"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("expected build, check, outline or targets", bad.Stderr);
    }
}
