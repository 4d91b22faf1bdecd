using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>Assertions on a build's output that show the whole output when they fail (Assert.Contains cuts it to a few characters).</summary>
public static class OutputAssert
{
    public static void Contains(string expected, ProcessResult result) =>
        Assert.True(result.Stdout.Contains(expected, StringComparison.Ordinal), $"expected in the output: {expected}\n{result}");
}
