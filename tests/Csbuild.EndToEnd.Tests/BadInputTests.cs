using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>Bad input: one readable line, a non-zero exit code, and nothing half-written in the store.</summary>
[Collection("busybox")]
public sealed class BadInputTests(BusyboxStoreFixture busybox)
{
    [Fact]
    public void MissingDockerfile_NamesThePath()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        Directory.CreateDirectory(dir.Combine("ctx"));
        var result = CsbuildProgram.Run(root, "build", "-t", "x:1", dir.Combine("ctx"));
        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"^error: failed to read dockerfile: open .*ctx/Dockerfile: no such file or directory\n$", result.Stderr);
        AssertStoreClean(root, "x:1");
    }

    [Fact]
    public void MissingContext_IsAUsageError()
    {
        using var dir = new TempDirectory();
        var result = CsbuildProgram.Run(dir.Combine("root"), "build", "-t", "x:1", dir.Combine("nope"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unable to prepare context: path", result.Stderr);
    }

    [Fact]
    public void UnknownInstruction_PointsAtFileAndLine()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", "FROM busybox\nRUN true\nCOPPY a b\n");
        var result = CsbuildProgram.Run(root, "build", "-t", "x:1", dir.Combine("ctx"));
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: Dockerfile:3:", line);
        Assert.Contains("COPY", line); // the hint names the nearest instruction
        AssertStoreClean(root, "x:1");
    }

    [Fact]
    public void FailingRun_ReportsExitCode_AndTagsNothing()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", "FROM busybox\nRUN echo about to fail && exit 3\n");
        var result = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "x:1", dir.Combine("ctx"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("about to fail", result.Stderr);
        var errorLine = result.Stderr.Split('\n').Single(l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains("did not complete successfully: exit code: 3", errorLine);
        AssertStoreClean(root, "x:1");
    }

    [Fact]
    public void MissingRuntime_SaysHowToFixIt()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", "FROM busybox\nRUN true\n");
        var result = CsbuildProgram.Run(root, "build", "--runtime", "/nonexistent/runc", "-t", "x:1", dir.Combine("ctx"));
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("/nonexistent/runc", result.Stderr);
        AssertStoreClean(root, "x:1");
    }

    [Fact]
    public void NotRoot_WhenARunStepNeedsIt_SaysSo()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", "FROM busybox\nRUN true\n");
        foreach (var path in new[] { dir.Path, root, dir.Combine("ctx") })
            ProcessRunner.Run("chown", "-R", "65534:65534", path);
        var result = ProcessRunner.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--",
            .. CsbuildExecutable.CommandLine(["build", "--root", root, "-t", "x:1", dir.Combine("ctx")])],
            environment: new Dictionary<string, string?> { ["HOME"] = dir.Path, ["DOTNET_CLI_HOME"] = dir.Path, ["CI"] = "true" });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("root", result.Stderr.Split('\n').Single(l => l.StartsWith("error: ", StringComparison.Ordinal)));
        AssertStoreClean(root, "x:1");
    }

    private static void AssertStoreClean(string root, string name)
    {
        if (!Directory.Exists(root)) return;
        Assert.DoesNotContain(name, File.ReadAllText(Path.Combine(root, "index.json")));
        var tmp = Path.Combine(root, "tmp");
        if (Directory.Exists(tmp)) Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
        var snapshots = Path.Combine(root, "snapshots");
        if (Directory.Exists(snapshots)) Assert.Empty(Directory.EnumerateDirectories(snapshots, "*.tmp"));
    }
}
