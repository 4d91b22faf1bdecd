using Csbuild.Solver;
using Csbuild.Solver.Context;
using Csbuild.TestSupport;

namespace Csbuild.Solver.Tests;

public sealed class CopySelectionTests
{
    [Theory]
    [InlineData("*.txt", "a.txt", true)]
    [InlineData("*.txt", "a.md", false)]
    [InlineData("a?c", "abc", true)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[^a-c]x", "bx", false)]
    [InlineData("[!a-c]x", "dx", true)]
    [InlineData("\\*", "*", true)]
    [InlineData("*a*b*c*", "xxaxxbxxcxx", true)]
    [InlineData("*a*b*c*", "xxaxxcxxbxx", false)]
    public void ComponentGlob_MatchesLikeGoFilepathMatch(string pattern, string name, bool expected) =>
        Assert.Equal(expected, ComponentGlob.IsMatch(pattern, name));

    [Fact]
    public void ComponentGlob_IsLinear_OnPathologicalPatterns()
    {
        var pattern = string.Concat(Enumerable.Repeat("*a", 200)) + "b";
        var name = new string('a', 20_000);
        Assert.False(ComponentGlob.IsMatch(pattern, name)); // returns quickly; an exponential matcher would not
    }

    [Fact]
    public void Select_HonoursDockerignore_AndExceptions()
    {
        using var dir = new TempDirectory();
        dir.Write("ctx/app/main.c", "int main;");
        dir.Write("ctx/app/build/out.o", "obj");
        dir.Write("ctx/app/build/keep.txt", "keep");
        dir.Write("ctx/secret.env", "TOKEN=1");
        var source = new DirectoryCopySource(dir.Combine("ctx"), ["**/build", "!app/build/keep.txt", "*.env"]);

        var matches = CopySelection.Select(source, ["."], [], followSymlinks: true);
        var paths = Assert.Single(matches).Descendants.Select(d => d.RelativePath).ToList();
        Assert.Contains("app/main.c", paths);
        Assert.Contains("app/build/keep.txt", paths);
        Assert.DoesNotContain("app/build/out.o", paths);
        Assert.DoesNotContain("secret.env", paths);

        var error = Assert.Throws<BuildException>(() => CopySelection.Select(source, ["secret.env"], [], true));
        Assert.Contains("not found in the build context", error.Message);
    }

    [Fact]
    public void Select_RefusesPathsOutsideTheContext_AndWildcardsMatchPerComponent()
    {
        using var dir = new TempDirectory();
        dir.Write("ctx/a/x.txt", "1");
        dir.Write("ctx/b/y.txt", "2");
        dir.Write("ctx/b/z.md", "3");
        var source = new DirectoryCopySource(dir.Combine("ctx"), []);
        Assert.Throws<BuildException>(() => CopySelection.Select(source, ["../outside"], [], true));
        var matches = CopySelection.Select(source, ["*/*.txt"], [], true);
        Assert.Equal(new[] { "a/x.txt", "b/y.txt" }, matches.Select(m => m.Root.RelativePath));
        var excluded = CopySelection.Select(source, ["b"], ["*.md"], true);
        Assert.Equal(new[] { "b/y.txt" }, Assert.Single(excluded).Descendants.Select(d => d.RelativePath));
    }

    [Fact]
    public void SymlinkSource_LeavingTheContext_IsCopiedAsALink_NotFollowed()
    {
        using var dir = new TempDirectory();
        dir.Write("host-secret", "secret");
        dir.Write("ctx/inside.txt", "inside");
        File.CreateSymbolicLink(dir.Combine("ctx", "escape"), dir.Combine("host-secret"));
        File.CreateSymbolicLink(dir.Combine("ctx", "ok"), "inside.txt");
        var source = new DirectoryCopySource(dir.Combine("ctx"), []);

        var escape = Assert.Single(CopySelection.Select(source, ["escape"], [], true));
        Assert.True(escape.Root.Status.IsSymbolicLink);
        var ok = Assert.Single(CopySelection.Select(source, ["ok"], [], true));
        Assert.True(ok.Root.Status.IsRegularFile);
        Assert.Equal("inside.txt", ok.Root.RelativePath);
    }

    [Fact]
    public void Checksum_IgnoresMtimes_ButSeesContentAndMode()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("ctx/a.txt", "v1");
        var source = new DirectoryCopySource(dir.Combine("ctx"), []);
        string Sum() => SelectionChecksum.Compute(CopySelection.Select(source, ["."], [], true), includeOwnership: false).ToString();

        var original = Sum();
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-3));
        Assert.Equal(original, Sum());
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var chmodded = Sum();
        Assert.NotEqual(original, chmodded);
        File.WriteAllText(file, "v2");
        Assert.NotEqual(chmodded, Sum());
    }
}
