using Csbuild.Solver.Snapshots;
using Csbuild.TestSupport;

namespace Csbuild.Solver.Tests;

/// <summary>The merged view uses the OCI whiteout form here, which needs no root to create.</summary>
public sealed class LayerChainViewTests
{
    [Fact]
    public void UpperLayers_ShadowAndDelete_LowerOnes()
    {
        using var dir = new TempDirectory();
        dir.Write("l1/etc/passwd", "root");
        dir.Write("l1/etc/group", "g");
        dir.Write("l1/old/file", "x");
        dir.Write("l2/etc/passwd", "root+app");
        dir.Write("l2/etc/.wh.group", "");
        dir.Write("l2/old/.wh..wh..opq", "");
        dir.Write("l2/old/new", "y");
        var view = new LayerChainView([dir.Combine("l1"), dir.Combine("l2")]);

        Assert.Equal("root+app", File.ReadAllText(view.Find("etc/passwd")!));
        Assert.Null(view.Find("etc/group"));
        Assert.Null(view.Find("old/file"));
        Assert.Equal(new[] { "passwd" }, view.List("etc").Keys);
        Assert.Equal(new[] { "new" }, view.List("old").Keys);
    }

    [Fact]
    public void Resolve_FollowsSymlinks_WithoutLeavingTheRoot()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("l1", "usr", "bin"));
        File.CreateSymbolicLink(dir.Combine("l1", "bin"), "usr/bin");
        File.CreateSymbolicLink(dir.Combine("l1", "escape"), "/../../../etc");
        File.CreateSymbolicLink(dir.Combine("l1", "up"), "../../..");
        var view = new LayerChainView([dir.Combine("l1")]);

        Assert.Equal("usr/bin/tool", view.Resolve("/bin/tool", followFinal: true));
        Assert.Equal("etc/passwd", view.Resolve("/escape/passwd", followFinal: true));
        Assert.Equal("x", view.Resolve("/up/x", followFinal: true));
        Assert.Equal("bin", view.Resolve("/bin", followFinal: false));
    }
}
