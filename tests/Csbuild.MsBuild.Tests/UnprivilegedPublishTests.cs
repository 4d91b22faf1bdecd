using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>Issue 8.3: no root and no container runtime are needed when no RUN step is involved.</summary>
[Collection("publish")]
public sealed class UnprivilegedPublishTests(PublishFixture fixture)
{
    [Fact]
    public void PublishContainer_AsAnUnprivilegedUser_PushesTheImage_IntoTheUsersDefaultCsbuildRoot()
    {
        using var dir = new TempDirectory("csbuild-nonroot");
        var workspace = new UnprivilegedWorkspace(dir, fixture);
        var result = workspace.PublishContainer($"-p:ContainerBaseImage={fixture.BaseImage}", $"-p:ContainerRegistry={fixture.Registry.Host}",
            "-p:ContainerRepository=tests/nonroot");
        Assert.True(result.ExitCode == 0, result.ToString());

        // The CLI's default root for a non-root user, shared with `csbuild`: it holds the base image and the new layers.
        var root = workspace.DefaultCsbuildRoot;
        Assert.True(File.Exists(Path.Combine(root, "index.json")), "no csbuild root at " + root);
        Assert.Equal((uint)UnprivilegedWorkspace.Nobody, Csbuild.Oci.Native.Libc.StatNoFollow(root).Uid);
        Assert.Equal(4, ImageRunner.LayerDigests(fixture.Registry.Reference("tests/nonroot:latest")).Count);
    }
}
