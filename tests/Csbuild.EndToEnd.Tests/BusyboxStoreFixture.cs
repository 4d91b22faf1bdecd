using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// A busybox root filesystem tarball from Debian's busybox-static (no network), imported into fresh roots
/// as <c>busybox:latest</c> by each test that needs a base image.
/// </summary>
public sealed class BusyboxStoreFixture : IDisposable
{
    private readonly TempDirectory _dir = new("csbuild-busybox");

    public BusyboxStoreFixture()
    {
        RootfsTarball = BusyboxRootfs.CreateTarball(_dir.Path);
    }

    public string RootfsTarball { get; }

    /// <summary>A new, empty csbuild root with busybox:latest imported.</summary>
    public string NewRootWithBusybox(TempDirectory scratch)
    {
        var root = scratch.Combine("root");
        var result = CsbuildProgram.Run(root, "import", RootfsTarball, "busybox:latest");
        Assert.True(result.ExitCode == 0, result.ToString());
        return root;
    }

    public void Dispose() => _dir.Dispose();
}

[CollectionDefinition("busybox")]
public sealed class BusyboxCollection : ICollectionFixture<BusyboxStoreFixture>;
