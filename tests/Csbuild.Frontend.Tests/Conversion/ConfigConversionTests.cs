using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Conversion;

public class ConfigConversionTests
{
    [Fact]
    public void Env_sets_config_and_pairs_see_the_previous_environment()
    {
        var g = Conv.Graph("FROM busybox\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\nENV legacy form value\n");
        Assert.Equal(["PATH=/bin", "HOME=/root", "abc=bye", "def=hello", "ghi=bye", "legacy=form value"], g.Config.Config.Env);
        Assert.Equal(["ENV abc=hello", "ENV abc=bye def=hello", "ENV ghi=bye", "ENV legacy=form value"], g.History.Select(h => h.CreatedBy));
        Assert.All(g.History, h => Assert.Null(h.Vertex));
        Assert.All(g.History, h => Assert.Equal("buildkit.dockerfile.v0", h.Comment));
    }

    [Fact]
    public void Env_replaces_an_existing_variable_in_place()
    {
        var g = Conv.Graph("FROM busybox\nENV PATH=/usr/bin:$PATH\n");
        Assert.Equal(["PATH=/usr/bin:/bin", "HOME=/root"], g.Config.Config.Env);
    }

    [Fact]
    public void Label_sets_labels_with_quotes_removed()
    {
        var g = Conv.Graph("FROM alpine\nENV V=2\nLABEL \"com.example.vendor\"=\"ACME Inc\" version=$V multi=\"a\\\nb\"\n");
        Assert.Equal("ACME Inc", g.Config.Config.Labels!["com.example.vendor"]);
        Assert.Equal("2", g.Config.Config.Labels["version"]);
        Assert.Equal("ab", g.Config.Config.Labels["multi"]);
        Assert.Equal("LABEL com.example.vendor=ACME Inc version=2 multi=ab", g.History[^1].CreatedBy);
    }

    [Fact]
    public void Cmd_exec_and_shell_forms()
    {
        var exec = Conv.Graph("FROM alpine\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n");
        Assert.Equal(["nginx", "-g", "daemon off;"], exec.Config.Config.Cmd);
        Assert.True(exec.Config.Config.ArgsEscaped);
        Assert.Equal("CMD [\"nginx\" \"-g\" \"daemon off;\"]", exec.History[0].CreatedBy);
        var shell = Conv.Graph("FROM alpine\nCMD echo \"hi\" $HOME\n");
        Assert.Equal(["/bin/sh", "-c", "echo \"hi\" $HOME"], shell.Config.Config.Cmd);
        Assert.Equal("CMD [\"/bin/sh\" \"-c\" \"echo \\\"hi\\\" $HOME\"]", shell.History[0].CreatedBy);
    }

    [Fact]
    public void Entrypoint_resets_an_inherited_cmd_but_keeps_one_set_in_the_stage()
    {
        var reset = Conv.Graph("FROM busybox\nENTRYPOINT [\"/init\"]\n");
        Assert.Equal(["/init"], reset.Config.Config.Entrypoint);
        Assert.Null(reset.Config.Config.Cmd);
        var kept = Conv.Graph("FROM busybox\nCMD [\"--help\"]\nENTRYPOINT top -b\n");
        Assert.Equal(["/bin/sh", "-c", "top -b"], kept.Config.Config.Entrypoint);
        Assert.Equal(["--help"], kept.Config.Config.Cmd);
        Assert.Equal("ENTRYPOINT [\"/bin/sh\" \"-c\" \"top -b\"]", kept.History[^1].CreatedBy);
    }

    [Fact]
    public void User_is_expanded()
    {
        var g = Conv.Graph("FROM alpine\nARG UID=1000\nUSER ${UID}:${GID:-100}\n");
        Assert.Equal("1000:100", g.Config.Config.User);
        Assert.Equal("USER 1000:100", g.History[^1].CreatedBy);
    }

    [Fact]
    public void Workdir_creates_the_directory_owned_by_the_user_and_joins_relative_paths()
    {
        var g = Conv.Graph("FROM alpine\nUSER app\nWORKDIR /a\nWORKDIR b\nWORKDIR ../c/./d\n");
        Assert.Equal("/a/c/d", g.Config.Config.WorkingDir);
        var mkdir = Assert.IsType<MkdirAction>(Assert.Single(Assert.IsType<FileOp>(g.Output.Op).Actions));
        Assert.Equal("/a/c/d", mkdir.Path);
        Assert.Equal(0b111_101_101, mkdir.Mode);
        Assert.Equal(new Chown("app", null), mkdir.Owner);
        Assert.Equal(["USER app", "WORKDIR /a", "WORKDIR /a/b", "WORKDIR /a/c/d"], g.History.Select(h => h.CreatedBy));
        Assert.Same(g.Output, g.History[^1].Vertex);
        Assert.Equal("[4/4] WORKDIR ../c/./d", g.Output.Name);
    }

    [Fact]
    public void Workdir_root_makes_no_layer()
    {
        var g = Conv.Graph("FROM alpine\nWORKDIR /\n");
        Assert.IsType<ImageOp>(g.Output.Op);
        Assert.Null(g.History[0].Vertex);
    }

    [Fact]
    public void Expose_records_ports_with_protocols_and_ranges()
    {
        var g = Conv.Graph("FROM alpine\nENV P=8080\nEXPOSE 80 $P/udp 9000-9002/tcp\n");
        Assert.Equal(["80/tcp", "8080/udp", "9000/tcp", "9001/tcp", "9002/tcp"], g.Config.Config.ExposedPorts!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("EXPOSE map[80/tcp:{} 8080/udp:{} 9000/tcp:{} 9001/tcp:{} 9002/tcp:{}]", g.History[^1].CreatedBy);
    }

    [Fact]
    public void Expose_splits_an_expanded_list_of_ports()
    {
        var g = Conv.Graph("FROM alpine\nARG PORTS=\"80 443\"\nEXPOSE $PORTS\n");
        Assert.Equal(["443/tcp", "80/tcp"], g.Config.Config.ExposedPorts!.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("EXPOSE 80/http", "invalid proto: http")]
    [InlineData("EXPOSE abc", "invalid containerPort: abc")]
    [InlineData("EXPOSE 70000", "invalid containerPort: 70000")]
    public void Invalid_ports_are_errors(string line, string message) =>
        Assert.Contains(message, Conv.Error("FROM alpine\n" + line + "\n").Message);

    [Fact]
    public void Volume_in_both_forms()
    {
        var g = Conv.Graph("FROM alpine\nVOLUME /data /logs\nVOLUME [\"/var/lib/x\"]\n");
        Assert.Equal(["/data", "/logs", "/var/lib/x"], g.Config.Config.Volumes!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("VOLUME [/data /logs]", g.History[0].CreatedBy);
        Assert.Contains("can not be an empty string", Conv.Error("FROM alpine\nVOLUME [\"\"]\n").Message);
    }

    [Theory]
    [InlineData("SIGKILL")]
    [InlineData("TERM")]
    [InlineData("9")]
    [InlineData("SIGRTMIN+3")]
    public void Stopsignal_accepts_names_and_numbers(string signal) =>
        Assert.Equal(signal, Conv.Graph($"FROM alpine\nSTOPSIGNAL {signal}\n").Config.Config.StopSignal);

    [Fact]
    public void Stopsignal_rejects_unknown_signals() =>
        Assert.Contains("Invalid signal: SIGFOO", Conv.Error("FROM alpine\nSTOPSIGNAL SIGFOO\n").Message);

    [Fact]
    public void Healthcheck_cmd_with_durations_in_nanoseconds()
    {
        var g = Conv.Graph("FROM alpine\nHEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=3 CMD curl -f http://localhost/ || exit 1\n");
        var h = g.Config.Config.Healthcheck!;
        Assert.Equal(["CMD-SHELL", "curl -f http://localhost/ || exit 1"], h.Test);
        Assert.Equal(300_000_000_000, h.Interval);
        Assert.Equal(3_000_000_000, h.Timeout);
        Assert.Equal(90_000_000_000, h.StartPeriod);
        Assert.Equal(500_000_000, h.StartInterval);
        Assert.Equal(3, h.Retries);
        Assert.Equal("HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/ || exit 1\"] \"5m0s\" \"3s\" \"1m30s\" \"500ms\" '\\x03'}", g.History[0].CreatedBy);
    }

    [Fact]
    public void Healthcheck_exec_form_and_none()
    {
        var exec = Conv.Graph("FROM alpine\nHEALTHCHECK CMD [\"/check\", \"-q\"]\n").Config.Config.Healthcheck!;
        Assert.Equal(["CMD", "/check", "-q"], exec.Test);
        Assert.Null(exec.Interval);
        var none = Conv.Graph("FROM alpine\nHEALTHCHECK NONE\n");
        Assert.Equal(["NONE"], none.Config.Config.Healthcheck!.Test);
        Assert.Equal("HEALTHCHECK &{[\"NONE\"] \"0s\" \"0s\" \"0s\" \"0s\" '\\x00'}", none.History[0].CreatedBy);
    }

    [Theory]
    [InlineData("HEALTHCHECK --interval=5x CMD x", "invalid duration \"5x\"")]
    [InlineData("HEALTHCHECK --interval=1ns CMD x", "cannot be less than 1ms")]
    [InlineData("HEALTHCHECK --retries=-1 CMD x", "--retries cannot be negative")]
    [InlineData("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD")]
    [InlineData("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments")]
    [InlineData("HEALTHCHECK RUN x", "Unknown type \"RUN\" in HEALTHCHECK (try CMD)")]
    [InlineData("HEALTHCHECK --foo=1 CMD x", "unknown flag: foo")]
    public void Invalid_healthchecks_are_errors(string line, string message) =>
        Assert.Contains(message, Conv.Error("FROM alpine\n" + line + "\n").Message);

    [Fact]
    public void Maintainer_sets_the_author()
    {
        var g = Conv.Graph("FROM alpine\nMAINTAINER Jane <j@example.com>\n");
        Assert.Equal("Jane <j@example.com>", g.Config.Author);
        Assert.Equal("MAINTAINER Jane <j@example.com>", g.History[0].CreatedBy);
    }

    [Fact]
    public void Onbuild_appends_triggers_to_the_config()
    {
        var g = Conv.Graph("FROM alpine\nONBUILD COPY . /app\nONBUILD RUN make\n");
        Assert.Equal(["COPY . /app", "RUN make"], g.Config.Config.OnBuild);
        Assert.Empty(g.History); // BuildKit records no history for ONBUILD
    }

    [Theory]
    [InlineData("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger")]
    [InlineData("ONBUILD MAINTAINER x", "MAINTAINER isn't allowed as an ONBUILD trigger")]
    [InlineData("SHELL /bin/bash -c", "SHELL requires the arguments to be in JSON form")]
    [InlineData("WORKDIR", "WORKDIR requires exactly one argument")]
    [InlineData("USER", "USER requires exactly one argument")]
    [InlineData("ENV", "ENV requires at least one argument")]
    [InlineData("ARG", "ARG requires at least one argument")]
    [InlineData("ARG =x", "ARG names can not be blank")]
    [InlineData("LABEL =x", "LABEL names can not be blank")]
    [InlineData("CMD", "CMD requires at least one argument")]
    [InlineData("ENV --x=1 A=1", "unknown flag: x")]
    public void Invalid_instructions_are_errors(string line, string message) =>
        Assert.Contains(message, Conv.Error("FROM alpine\n" + line + "\n").Message);
}
