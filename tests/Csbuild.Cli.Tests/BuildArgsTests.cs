using Csbuild.Cli.Commands;

namespace Csbuild.Cli.Tests;

public sealed class BuildArgsTests
{
    [Fact]
    public void BuildArg_WithoutValue_ComesFromTheEnvironment_OrIsSkipped()
    {
        Environment.SetEnvironmentVariable("CSBUILD_TEST_ARG", "from-env");
        var args = BuildCommand.ParseBuildArgs(["A=1", "B=x=y", "CSBUILD_TEST_ARG", "CSBUILD_TEST_UNSET_ARG", "EMPTY="]);
        Assert.Equal("1", args["A"]);
        Assert.Equal("x=y", args["B"]);
        Assert.Equal("from-env", args["CSBUILD_TEST_ARG"]);
        Assert.False(args.ContainsKey("CSBUILD_TEST_UNSET_ARG"));
        Assert.Equal("", args["EMPTY"]);
    }

    [Fact]
    public void BuildArg_WithoutName_IsRefused() =>
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => BuildCommand.ParseBuildArgs(["=oops"])).ExitCode);
}
