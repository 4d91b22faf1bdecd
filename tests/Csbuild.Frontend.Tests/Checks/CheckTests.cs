using Csbuild.Frontend.Parsing;
using Csbuild.Frontend.Tests.Conversion;

namespace Csbuild.Frontend.Tests.Checks;

public class CheckTests
{
    private static List<DockerfileWarning> Static(string dockerfile) => [.. DockerfileFrontend.Check(dockerfile).Warnings];

    private static DockerfileWarning Only(string dockerfile, string rule)
    {
        var all = Static(dockerfile);
        return Assert.Single(all, w => w.Rule == rule);
    }

    [Fact]
    public void Json_args_recommended_for_shell_form_cmd_and_entrypoint()
    {
        var w = Only("FROM alpine\nCMD echo hi\n", "JSONArgsRecommended");
        Assert.Equal(2, w.Line);
        Assert.Equal("JSON arguments recommended for CMD to prevent unintended behavior related to OS signals", w.Message);
        Assert.Equal("https://docs.docker.com/go/dockerfile/rule/json-args-recommended/", w.Url);
        Assert.DoesNotContain(Static("FROM alpine\nCMD [\"echo\"]\n"), x => x.Rule == "JSONArgsRecommended");
        Assert.DoesNotContain(Static("FROM alpine\nSHELL [\"/bin/bash\", \"-c\"]\nENTRYPOINT echo\n"), x => x.Rule == "JSONArgsRecommended");
    }

    [Fact]
    public void Stage_name_casing_and_from_as_casing()
    {
        Assert.Equal("Stage name 'Build' should be lowercase", Only("FROM alpine AS Build\n", "StageNameCasing").Message);
        Assert.Equal("'as' and 'FROM' keywords' casing do not match", Only("FROM alpine as build\n", "FromAsCasing").Message);
        Assert.DoesNotContain(Static("from alpine as build\n"), x => x.Rule == "FromAsCasing");
    }

    [Fact]
    public void Maintainer_deprecated() =>
        Assert.Equal(2, Only("FROM alpine\nMAINTAINER me\n", "MaintainerDeprecated").Line);

    [Fact]
    public void Duplicate_and_reserved_stage_names()
    {
        Assert.Equal(2, Only("FROM alpine AS a\nFROM alpine AS a\n", "DuplicateStageName").Line);
        Assert.Contains("'scratch' is reserved", Only("FROM alpine AS scratch\n", "ReservedStageName").Message);
    }

    [Theory]
    [InlineData("ARG API_TOKEN", "ARG \"API_TOKEN\"")]
    [InlineData("ENV DB_PASSWORD=x", "ENV \"DB_PASSWORD\"")]
    [InlineData("ARG aws_secret_key", "ARG \"aws_secret_key\"")]
    public void Secrets_in_arg_or_env_names(string line, string detail) =>
        Assert.Contains(detail, Only("FROM alpine\n" + line + "\n", "SecretsUsedInArgOrEnv").Message);

    [Theory]
    [InlineData("ARG PUBLIC_KEY")]
    [InlineData("ENV KEYBOARD=us")]
    [InlineData("ARG TOKENIZER")]
    public void Names_that_only_look_like_secrets_pass(string line) =>
        Assert.DoesNotContain(Static("FROM alpine\n" + line + "\n"), w => w.Rule == "SecretsUsedInArgOrEnv");

    [Fact]
    public void Global_arg_secrets_are_flagged_too() =>
        Only("ARG GITHUB_TOKEN\nFROM alpine\n", "SecretsUsedInArgOrEnv");

    [Fact]
    public void Consistent_instruction_casing()
    {
        var w = Only("FROM alpine\nRUN a\nrun b\nCOPY x y\n", "ConsistentInstructionCasing");
        Assert.Equal("Command 'run' should match the case of the command majority (uppercase)", w.Message);
        Assert.Equal(3, w.Line);
    }

    [Fact]
    public void Legacy_key_value_format() =>
        Assert.Equal("\"ENV key=value\" should be used instead of legacy \"ENV key value\" format",
            Only("FROM alpine\nENV a b\n", "LegacyKeyValueFormat").Message);

    [Fact]
    public void Relative_workdir_before_any_absolute_one()
    {
        Only("FROM alpine\nWORKDIR app\n", "WorkdirRelativePath");
        Assert.DoesNotContain(Static("FROM alpine\nWORKDIR /app\nWORKDIR sub\n"), w => w.Rule == "WorkdirRelativePath");
    }

    [Fact]
    public void Multiple_cmd_in_a_stage()
    {
        var w = Only("FROM alpine\nCMD [\"a\"]\nCMD [\"b\"]\n", "MultipleInstructionsDisallowed");
        Assert.Equal(2, w.Line);
    }

    [Fact]
    public void Expose_protocol_casing() => Only("FROM alpine\nEXPOSE 80/TCP\n", "ExposeProtoCasing");

    [Fact]
    public void Constant_and_redundant_from_platform()
    {
        Only("FROM --platform=linux/amd64 alpine\n", "FromPlatformFlagConstDisallowed");
        Only("FROM --platform=$TARGETPLATFORM alpine\n", "RedundantTargetPlatform");
        Assert.Empty(Static("FROM --platform=$BUILDPLATFORM alpine\n"));
    }

    [Fact]
    public void Empty_continuation_lines_are_reported()
    {
        var w = Only("FROM alpine\nRUN a \\\n\n b\n", "NoEmptyContinuation");
        Assert.Equal(3, w.Line);
    }

    [Fact]
    public void A_clean_dockerfile_has_no_warnings() =>
        Assert.Empty(Static("FROM alpine AS build\nRUN make\nFROM alpine\nCOPY --from=build /a /b\nCMD [\"/b\"]\n"));

    [Fact]
    public void Check_directive_skips_rules_or_everything()
    {
        Assert.Empty(Static("# check=skip=JSONArgsRecommended,MaintainerDeprecated\nFROM alpine\nCMD x\nMAINTAINER m\n"));
        Assert.Empty(Static("# check=skip=all\nFROM alpine\nCMD x\n"));
        Assert.True(DockerfileFrontend.Check("# check=error=true\nFROM alpine\nCMD x\n").FailsBuild);
        Assert.False(DockerfileFrontend.Check("# check=error=true\nFROM alpine\nCMD [\"x\"]\n").FailsBuild);
        Assert.Throws<DockerfileParseException>(() => DockerfileFrontend.Check("# check=bogus=1\nFROM alpine\n"));
    }

    [Fact]
    public async Task Undefined_variables_are_found_during_conversion_with_a_suggestion()
    {
        var report = await DockerfileFrontend.CheckAsync(Conv.Request("FROM alpine\nARG VERSION=1\nENV A=$VERSON B=${GUARDED:-x}\nCOPY $NOPE /x\n"),
            Conv.DefaultImages(), CancellationToken.None);
        var undefined = report.Warnings.Where(w => w.Rule == "UndefinedVar").ToList();
        Assert.Equal(2, undefined.Count);
        Assert.Equal("Usage of undefined variable '$VERSON' (did you mean $VERSION?)", undefined[0].Message);
        Assert.Equal(3, undefined[0].Line);
        Assert.Equal("Usage of undefined variable '$NOPE'", undefined[1].Message);
    }

    [Fact]
    public async Task Declared_args_without_value_are_not_undefined()
    {
        var report = await DockerfileFrontend.CheckAsync(Conv.Request("FROM alpine\nARG OPTIONAL\nENV A=$OPTIONAL\n"), Conv.DefaultImages(), CancellationToken.None);
        Assert.DoesNotContain(report.Warnings, w => w.Rule == "UndefinedVar");
    }

    [Fact]
    public async Task Undefined_arg_in_from_and_unused_build_args()
    {
        var report = await DockerfileFrontend.CheckAsync(Conv.Request("FROM alpine${SUFFIX}\n", a => a["UNUSED"] = "1"), Conv.DefaultImages(), CancellationToken.None);
        Assert.Contains(report.Warnings, w => w.Rule == "UndefinedArgInFrom" && w.Message.Contains("SUFFIX"));
        Assert.Contains(report.Warnings, w => w.Rule == "UnusedBuildArg" && w.Message.Contains("[UNUSED]"));
    }

    [Fact]
    public async Task Error_policy_fails_the_build_conversion()
    {
        var e = await Assert.ThrowsAnyAsync<DockerfileException>(() => DockerfileFrontend.ConvertWithWarningsAsync(
            Conv.Request("# check=error=true\nFROM alpine\nCMD x\n"), Conv.DefaultImages(), CancellationToken.None));
        Assert.Contains("lint violation found for rules: JSONArgsRecommended", e.Message);
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Warnings_print_with_file_and_line() =>
        Assert.Equal("Dockerfile:2:1: warning: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label",
            Only("FROM alpine\nMAINTAINER me\n", "MaintainerDeprecated").ToString());
}
