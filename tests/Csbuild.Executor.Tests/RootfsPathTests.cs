namespace Csbuild.Executor.Tests;

public sealed class RootfsPathTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private string Root => temp.Path;

    public void Dispose() => temp.Dispose();

    [Fact]
    public void PlainPathsJoinTheRoot()
    {
        Assert.Equal(Root + "/etc/passwd", RootfsPath.Resolve(Root, "/etc/passwd"));
        Assert.Equal(Root, RootfsPath.Resolve(Root, "/"));
    }

    [Fact]
    public void DotDotStopsAtTheRoot()
    {
        Assert.Equal(Root + "/etc/passwd", RootfsPath.Resolve(Root, "/../../../etc/passwd"));
    }

    [Fact]
    public void AbsoluteSymlinksAreResolvedInsideTheRoot()
    {
        temp.Link("etc/passwd", "/usr/lib/passwd");

        Assert.Equal(Root + "/usr/lib/passwd", RootfsPath.Resolve(Root, "/etc/passwd"));
    }

    [Fact]
    public void RelativeSymlinksCannotClimbOutOfTheRoot()
    {
        temp.Link("etc/passwd", "../../../../../../etc/shadow");

        Assert.Equal(Root + "/etc/shadow", RootfsPath.Resolve(Root, "/etc/passwd"));
    }

    [Fact]
    public void SymlinkedDirectoriesAreFollowed()
    {
        Directory.CreateDirectory(Path.Combine(Root, "usr/etc"));
        temp.Link("etc", "usr/etc");

        Assert.Equal(Root + "/usr/etc/group", RootfsPath.Resolve(Root, "/etc/group"));
    }

    [Fact]
    public void SymlinkLoopsAreAnError()
    {
        temp.Link("a", "/b");
        temp.Link("b", "/a");

        Assert.Throws<IOException>(() => RootfsPath.Resolve(Root, "/a/file"));
    }
}
