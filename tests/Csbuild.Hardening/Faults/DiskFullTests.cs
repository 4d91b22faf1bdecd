using Csbuild.Hardening.Support;
using Csbuild.TestSupport;
using Xunit.Abstractions;

namespace Csbuild.Hardening.Faults;

/// <summary>
/// Issue 11, item 4: a root on a small (64 MB) tmpfs. A COPY and a RUN that overflow it fail with a clear
/// error, leave no partial snapshot, and the same root builds again once the big input is gone.
/// </summary>
[Collection("csbuild")]
public sealed class DiskFullTests(BusyboxBase busybox, ITestOutputHelper output)
{
    [Fact]
    public void AFullDisk_GivesAClearError_AndTheRootWorksAfterwards()
    {
        using var dir = new TempDirectory("csbuild-disk-full");
        var mountPoint = dir.Combine("small");
        Directory.CreateDirectory(mountPoint);
        var mount = ProcessRunner.Run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mountPoint);
        Assert.True(mount.ExitCode == 0, mount.ToString());
        try
        {
            var root = busybox.NewRoot(dir, Path.Combine(mountPoint, "root"));
            var big = new byte[80 << 20];
            new Random(5).NextBytes(big); // incompressible: the layer blob alone is as big as the file
            dir.Write("copy/Dockerfile", "FROM busybox:latest\nCOPY big.bin /big.bin\n");
            File.WriteAllBytes(dir.Combine("copy", "big.bin"), big);
            dir.Write("run/Dockerfile", "FROM busybox:latest\nRUN dd if=/dev/zero of=/fill bs=1M count=100\n");

            var copy = CsbuildProgram.Run(root, "build", "--progress=plain", dir.Combine("copy"));
            output.WriteLine(copy.Stderr);
            Assert.NotEqual(0, copy.ExitCode);
            Assert.Matches("(?m)^error: .*No space left on device", copy.Stderr);
            AssertNothingHalfWritten(root);

            var run = CsbuildProgram.Run(root, "build", "--progress=plain", dir.Combine("run"));
            output.WriteLine(run.Stderr);
            Assert.NotEqual(0, run.ExitCode);
            Assert.Matches("(?m)^error: .*RUN dd if=/dev/zero", run.Stderr);
            AssertNothingHalfWritten(root);

            // The space is free again (nothing was left behind): a normal build and a clean store check.
            dir.Write("ok/Dockerfile", "FROM busybox:latest\nCOPY small.txt /small.txt\nRUN cat /small.txt > /copy\n");
            dir.Write("ok/small.txt", "small\n");
            var ok = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "ok:1", dir.Combine("ok"));
            Assert.True(ok.ExitCode == 0, ok.ToString());
            var check = CsbuildProgram.Run(root, "check-store");
            Assert.True(check.ExitCode == 0, check.ToString());
            Figures.Record("disk-full faults injected", 2);
        }
        finally
        {
            ProcessRunner.Run("umount", "-l", mountPoint);
        }
    }

    private static void AssertNothingHalfWritten(string root)
    {
        Assert.Empty(RootInspector.MountsUnder(root));
        Assert.Empty(RootInspector.UnreferencedOrPartialSnapshots(root));
        Assert.Empty(RootInspector.TempEntries(root));
    }
}
