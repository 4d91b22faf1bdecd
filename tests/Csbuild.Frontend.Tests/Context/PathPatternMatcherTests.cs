using Csbuild.Solver.Context;

namespace Csbuild.Frontend.Tests.Context;

public class PathPatternMatcherTests
{
    private static bool Excluded(string path, params string[] patterns) => new PathPatternMatcher(patterns).IsExcluded(path, isDirectory: false);

    [Theory]
    [InlineData("*.md", "README.md", true)]
    [InlineData("*.md", "docs/README.md", false)] // '*' does not cross '/'
    [InlineData("*/*.md", "docs/README.md", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file12.txt", false)]
    [InlineData("file?.txt", "file/.txt", false)]
    [InlineData("[abc].txt", "b.txt", true)]
    [InlineData("[abc].txt", "d.txt", false)]
    [InlineData("[^abc].txt", "d.txt", true)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[a-c]x", "dx", false)]
    [InlineData("\\*.txt", "*.txt", true)]
    [InlineData("\\*.txt", "a.txt", false)]
    [InlineData("a.b", "axb", false)] // '.' is literal
    [InlineData("a+b(c)", "a+b(c)", true)]
    public void Wildcards_match_like_filepath_match(string pattern, string path, bool expected) =>
        Assert.Equal(expected, Excluded(path, pattern));

    [Theory]
    [InlineData("**/*.go", "main.go", true)]
    [InlineData("**/*.go", "a/b/c/main.go", true)]
    [InlineData("**/*.go", "a/b/c/main.go.txt", false)]
    [InlineData("**", "anything/at/all", true)]
    [InlineData("dir/**", "dir/a/b", true)]
    [InlineData("dir/**", "dirx/a", false)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/x/y/c", false)]
    [InlineData("**/node_modules", "x/node_modules", true)]
    [InlineData("**/node_modules", "node_modules", true)]
    public void Double_star_matches_any_number_of_directories(string pattern, string path, bool expected) =>
        Assert.Equal(expected, Excluded(path, pattern));

    [Fact]
    public void A_matching_parent_directory_excludes_everything_below_it()
    {
        Assert.True(Excluded("node_modules/pkg/index.js", "node_modules"));
        Assert.True(Excluded("a/b/c", "a/b"));
        Assert.False(Excluded("ab/c", "a"));
    }

    [Fact]
    public void Exceptions_re_include_and_the_last_matching_rule_wins()
    {
        Assert.False(Excluded("README.md", "*.md", "!README.md"));
        Assert.True(Excluded("CHANGES.md", "*.md", "!README.md"));
        Assert.True(Excluded("README.md", "*.md", "!README.md", "README*"));
        Assert.False(Excluded("logs/keep.log", "logs", "!logs/keep.log"));
        Assert.True(Excluded("logs/other.log", "logs", "!logs/keep.log"));
    }

    [Theory]
    [InlineData("./a/../b//c/", "b/c", true)]
    [InlineData("/abs/path", "abs/path", true)]
    [InlineData("  spaced  ", "spaced", true)]
    [InlineData("dir/", "dir/file", true)]
    public void Patterns_are_cleaned(string pattern, string path, bool expected) =>
        Assert.Equal(expected, Excluded(path, pattern));

    [Fact]
    public void Paths_are_cleaned_before_matching()
    {
        Assert.True(Excluded("./a//b/../c.md", "a/*.md"));
        Assert.False(Excluded(".", "*"));
    }

    [Fact]
    public void Excluded_directory_is_walked_only_when_an_exception_can_match_inside()
    {
        var m = new PathPatternMatcher(["vendor", "!vendor/keep/**", "build", "!**/*.keep", "tmp"]);
        Assert.True(m.IsExcluded("vendor", isDirectory: true));
        Assert.True(m.MayIncludeInside("vendor"));
        Assert.False(m.CanSkipDirectory("vendor"));
        Assert.True(m.MayIncludeInside("build")); // **/*.keep could be anywhere
        var simple = new PathPatternMatcher(["tmp", "!src/important"]);
        Assert.True(simple.CanSkipDirectory("tmp"));
        Assert.False(simple.MayIncludeInside("tmp"));
        Assert.True(simple.MayIncludeInside("src"));
        Assert.False(new PathPatternMatcher(["tmp"]).HasExclusions);
    }

    [Fact]
    public void Wildcard_exceptions_are_matched_per_component_for_directories()
    {
        var m = new PathPatternMatcher(["*", "!src*/keep"]);
        Assert.True(m.MayIncludeInside("src1"));
        Assert.False(m.MayIncludeInside("docs"));
    }

    [Theory]
    [InlineData("!")]
    [InlineData("[abc")]
    public void Malformed_patterns_are_rejected(string pattern) =>
        Assert.Throws<ArgumentException>(() => new PathPatternMatcher([pattern]));

    [Fact]
    public void Matching_is_linear_on_hostile_patterns()
    {
        var pattern = string.Concat(Enumerable.Repeat("**/a*", 30)) + "b";
        var path = string.Join('/', Enumerable.Repeat("aaaaaaaaaa", 200));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(Excluded(path, pattern));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), sw.Elapsed.ToString());
    }
}
