namespace Csbuild.Executor.Tests;

/// <summary>USER resolution against passwd/group files, without a container.</summary>
public sealed class UserResolverTests : IDisposable
{
    private readonly TempDirectory rootfs = new();

    public UserResolverTests()
    {
        rootfs.Write("etc/passwd",
            "# comment line\n" +
            "root:x:0:0:root:/root:/bin/sh\n" +
            "  \n" +
            "app:x:1000:1001:App:/home/app:/bin/sh\n" +
            "broken:x:notanumber:1:::\n" +
            "nohome:x:2000:2000::\n");
        rootfs.Write("etc/group",
            "root:x:0:\n" +
            "wheel:x:10:root,app\n" +
            "app:x:1001:\n" +
            "dev:x:2001: app , nohome\n" +
            "wheel2:x:10:app\n");
    }

    public void Dispose() => rootfs.Dispose();

    [Fact]
    public void EmptyUserIsRootWithItsGroups()
    {
        Assert.Equivalent(new ResolvedUser(0, 0, [10], "/root"), UserResolver.Resolve(rootfs.Path, ""));
        Assert.Equivalent(new ResolvedUser(0, 0, [10], "/root"), UserResolver.Resolve(rootfs.Path, null));
    }

    [Fact]
    public void NameGivesUidGidHomeAndSupplementaryGroupsWithoutDuplicates()
    {
        Assert.Equivalent(new ResolvedUser(1000, 1001, [10, 2001], "/home/app"), UserResolver.Resolve(rootfs.Path, "app"));
    }

    [Fact]
    public void ExplicitGroupReplacesThePrimaryGroupAndDropsSupplementaryOnes()
    {
        Assert.Equivalent(new ResolvedUser(1000, 2001, [], "/home/app"), UserResolver.Resolve(rootfs.Path, "app:dev"));
        Assert.Equivalent(new ResolvedUser(1000, 77, [], "/home/app"), UserResolver.Resolve(rootfs.Path, "1000:77"));
    }

    [Fact]
    public void UnknownNumericIdsNeedNoEntry()
    {
        Assert.Equivalent(new ResolvedUser(4242, 0, [], "/"), UserResolver.Resolve(rootfs.Path, "4242"));
    }

    [Fact]
    public void EmptyHomeFieldMeansRootDirectory()
    {
        Assert.Equal("/", UserResolver.Resolve(rootfs.Path, "nohome").Home);
    }

    [Fact]
    public void UnknownNamesFailWithDockersMessages()
    {
        Assert.Equal("unable to find user broken: no matching entries in passwd file",
            Assert.Throws<ExecutorException>(() => UserResolver.Resolve(rootfs.Path, "broken")).Message);
        Assert.Equal("unable to find group staff: no matching entries in group file",
            Assert.Throws<ExecutorException>(() => UserResolver.Resolve(rootfs.Path, "app:staff")).Message);
    }

    [Fact]
    public void OutOfRangeIdIsRejected()
    {
        Assert.Contains("out of range", Assert.Throws<ExecutorException>(() => UserResolver.Resolve(rootfs.Path, "99999999999")).Message);
    }

    [Fact]
    public void MissingPasswdFileStillAllowsNumericUsers()
    {
        using var empty = new TempDirectory();

        Assert.Equivalent(new ResolvedUser(0, 0, [], "/"), UserResolver.Resolve(empty.Path, ""));
        Assert.Equivalent(new ResolvedUser(5, 6, [], "/"), UserResolver.Resolve(empty.Path, "5:6"));
        Assert.Equal("unable to find user app: no matching entries in passwd file",
            Assert.Throws<ExecutorException>(() => UserResolver.Resolve(empty.Path, "app")).Message);
    }

    [Fact]
    public void PasswdSymlinkPointingOutsideTheRootfsIsReadInsideIt()
    {
        using var image = new TempDirectory();
        using var host = new TempDirectory();
        var hostPasswd = host.Write("passwd", "intruder:x:0:0::/:/bin/sh\n");
        image.Link("etc/passwd", hostPasswd);

        // The link's target is looked up inside the image, where it does not exist.
        Assert.Throws<ExecutorException>(() => UserResolver.Resolve(image.Path, "intruder"));

        image.Write(hostPasswd.TrimStart('/'), "insider:x:7:7::/in:/bin/sh\n");
        Assert.Equivalent(new ResolvedUser(7, 7, [], "/in"), UserResolver.Resolve(image.Path, "insider"));
    }
}
