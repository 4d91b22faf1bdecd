using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Conversion;

public class RunConversionTests
{
    private static ExecOp Run(string dockerfile, Action<Dictionary<string, string>>? args = null) =>
        Assert.IsType<ExecOp>(Conv.Graph(dockerfile, buildArgs: args).Output.Op);

    [Fact]
    public void Shell_form_runs_in_the_default_shell_exec_form_as_is()
    {
        Assert.Equal(["/bin/sh", "-c", "echo \"$HOME\" && ls"], Run("FROM alpine\nRUN echo \"$HOME\" && ls\n").Args);
        Assert.Equal(["echo", "$HOME"], Run("FROM alpine\nRUN [\"echo\", \"$HOME\"]\n").Args);
    }

    [Fact]
    public void Shell_instruction_changes_the_shell_of_later_runs()
    {
        var g = Conv.Graph("FROM alpine\nSHELL [\"/bin/bash\", \"-eu\", \"-c\"]\nRUN ls\n");
        Assert.Equal(["/bin/bash", "-eu", "-c", "ls"], Assert.IsType<ExecOp>(g.Output.Op).Args);
        Assert.Equal(["/bin/bash", "-eu", "-c"], g.Config.Config.Shell);
        Assert.Equal("SHELL [/bin/bash -eu -c]", g.History[0].CreatedBy);
    }

    [Fact]
    public void Env_user_and_workdir_of_the_stage_are_used()
    {
        var op = Run("FROM busybox\nENV A=1\nUSER app:staff\nWORKDIR sub\nRUN id\n");
        Assert.Equal(["PATH=/bin", "HOME=/root", "A=1"], op.Env);
        Assert.Equal("app:staff", op.User);
        Assert.Equal("/home/sub", op.WorkingDir);
    }

    [Fact]
    public void A_default_path_is_added_when_the_image_has_none()
    {
        var images = new FakeImageResolver().Add("bare");
        var op = Assert.IsType<ExecOp>(Conv.Graph("FROM bare\nRUN x\n", images).Output.Op);
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], op.Env);
        Assert.Equal("/", op.WorkingDir);
        Assert.Equal("", op.User);
    }

    [Theory]
    [InlineData("none", NetworkMode.None)]
    [InlineData("default", NetworkMode.Default)]
    public void Network_flag_sets_the_mode(string flag, NetworkMode expected) =>
        Assert.Equal(expected, Run($"FROM alpine\nRUN --network={flag} x\n").Network);

    [Fact]
    public void Unknown_network_and_unsupported_flags_are_clear_errors()
    {
        Assert.Contains("unsupported network mode \"bridge\"", Conv.Error("FROM alpine\nRUN --network=bridge x\n").Message);
        var mount = Conv.Error("FROM alpine\nRUN --mount=type=nfs,target=/c x\n");
        Assert.Contains("unsupported mount type \"nfs\"", mount.Message);
        Assert.StartsWith("Dockerfile:2:5:", mount.Message);
        Assert.Contains("security.insecure is not allowed", Conv.Error("FROM alpine\nRUN --security=insecure x\n").Message);
        Assert.Contains("unknown flag: foo", Conv.Error("FROM alpine\nRUN --foo=1 x\n").Message);
    }

    [Fact]
    public void Declared_args_are_in_the_run_env_but_not_the_image_config()
    {
        var g = Conv.Graph("FROM alpine\nARG VERSION=1.0\nRUN make\n");
        Assert.Contains("VERSION=1.0", Assert.IsType<ExecOp>(g.Output.Op).Env);
        Assert.DoesNotContain(g.Config.Config.Env!, e => e.StartsWith("VERSION"));
        Assert.Equal("RUN |1 VERSION=1.0 /bin/sh -c make # buildkit", g.History[^1].CreatedBy);
    }

    [Fact]
    public void Build_args_override_arg_defaults()
    {
        var op = Run("FROM alpine\nARG V=1\nRUN x\n", a => a["V"] = "2");
        Assert.Contains("V=2", op.Env);
    }

    [Fact]
    public void Undeclared_build_args_are_not_in_the_env_and_proxies_go_to_the_proxy_env()
    {
        var op = Run("FROM alpine\nRUN x\n", a =>
        {
            a["SECRETISH"] = "x";
            a["HTTP_PROXY"] = "http://proxy:3128";
            a["no_proxy"] = "localhost";
        });
        Assert.DoesNotContain(op.Env, e => e.StartsWith("SECRETISH"));
        Assert.DoesNotContain(op.Env, e => e.StartsWith("HTTP_PROXY"));
        Assert.Equal(["HTTP_PROXY=http://proxy:3128", "no_proxy=localhost"], op.ProxyEnv);
    }

    [Fact]
    public void Proxy_values_do_not_change_the_step_definition_or_the_history()
    {
        var dockerfile = "FROM alpine\nRUN wget http://example.com\n";
        var plain = Conv.Graph(dockerfile);
        var proxied = Conv.Graph(dockerfile, buildArgs: a => { a["HTTPS_PROXY"] = "http://a:1"; a["ALL_PROXY"] = "socks5://b:2"; });
        var other = Conv.Graph(dockerfile, buildArgs: a => a["HTTPS_PROXY"] = "http://c:3");
        Assert.Equal(plain.Output.Op.CanonicalDefinition(), proxied.Output.Op.CanonicalDefinition());
        Assert.Equal(plain.Output.Op.CanonicalDefinition(), other.Output.Op.CanonicalDefinition());
        Assert.Equal(plain.History[^1].CreatedBy, proxied.History[^1].CreatedBy);
        Assert.DoesNotContain(proxied.Config.Config.Env!, e => e.Contains("PROXY", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(2, Assert.IsType<ExecOp>(proxied.Output.Op).ProxyEnv.Count);
    }

    [Fact]
    public void A_declared_proxy_arg_is_an_ordinary_arg()
    {
        var op = Run("FROM alpine\nARG HTTP_PROXY\nRUN x\n", a => a["HTTP_PROXY"] = "http://p:1");
        Assert.Contains("HTTP_PROXY=http://p:1", op.Env);
        Assert.Empty(op.ProxyEnv);
    }

    [Fact]
    public void Host_network_and_insecure_steps_need_their_entitlements()
    {
        var e = Conv.Error("FROM alpine\nRUN --network=host x\n");
        Assert.Contains("network.host is not allowed", e.Message);
        Assert.Contains("--allow network.host", e.Message);
        var allowed = Conv.Request("FROM alpine\nRUN --network=host x\n") with { AllowedEntitlements = new HashSet<string> { "network.host" } };
        Assert.Equal(NetworkMode.Host, Assert.IsType<ExecOp>(Conv.Graph(allowed).Output.Op).Network);

        var insecure = Conv.Request("FROM alpine\nRUN --security=insecure x\n") with { AllowedEntitlements = new HashSet<string> { "security.insecure" } };
        var notImplemented = Assert.ThrowsAny<DockerfileException>(() => Conv.Graph(insecure));
        Assert.Contains("no privileged mode", notImplemented.Message);
    }

    [Fact]
    public void Env_overrides_an_earlier_arg_of_the_same_name()
    {
        // The Dockerfile reference's example: the ENV wins over the --build-arg.
        var op = Run("FROM alpine\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nRUN echo $CONT_IMG_VER\n", a => a["CONT_IMG_VER"] = "v2.0.1");
        Assert.Contains("CONT_IMG_VER=v1.0.0", op.Env);
        Assert.DoesNotContain("CONT_IMG_VER=v2.0.1", op.Env);
    }

    [Fact]
    public void An_arg_after_env_sets_the_run_env_but_not_the_config_as_buildkit_does()
    {
        var g = Conv.Graph("FROM alpine\nENV V=fromenv\nARG V=fromarg\nRUN x\n");
        Assert.Contains("V=fromarg", Assert.IsType<ExecOp>(g.Output.Op).Env);
        Assert.Contains("V=fromenv", g.Config.Config.Env!);
    }

    [Fact]
    public void Heredoc_script_is_run_by_the_shell()
    {
        var op = Run("FROM alpine\nRUN <<EOF\necho a\necho b\nEOF\n");
        Assert.Equal(["/bin/sh", "-c", "echo a\necho b\n"], op.Args);
        var chomped = Run("FROM alpine\nRUN <<-EOF\n\techo a\n\tEOF\n");
        Assert.Equal(["/bin/sh", "-c", "echo a\n"], chomped.Args);
    }

    [Fact]
    public void Run_progress_name_keeps_quotes_and_unset_variables_and_summarizes_heredocs()
    {
        var g = Conv.Graph("FROM alpine\nENV A=1\nRUN echo \"$A\" $UNSET\n");
        Assert.Equal("[2/2] RUN echo \"1\" $UNSET", g.Output.Name);
        var h = Conv.Graph("FROM alpine\nRUN <<EOF\n  apk add x\n  apk add y\nEOF\n");
        Assert.Equal("[2/2] RUN <<EOF (apk add x...)", h.Output.Name);
    }

    [Fact]
    public void Heredoc_used_by_a_command_is_handed_to_the_shell_with_its_delimiter()
    {
        var op = Run("FROM alpine\nRUN cat <<EOF > /f\nhello\nEOF\n");
        Assert.Equal(["/bin/sh", "-c", "cat <<EOF > /f\nhello\nEOF"], op.Args);
    }

    [Fact]
    public void Heredoc_with_an_interpreter_line_runs_as_a_file_mounted_from_scratch()
    {
        var g = Conv.Graph("FROM alpine\nENV X=1\nRUN <<EOF\n#!/usr/bin/env python3\nprint($X)\nEOF\n");
        var op = Assert.IsType<ExecOp>(g.Output.Op);
        Assert.Equal(["/dev/pipes/EOF"], op.Args);
        var mount = Assert.Single(op.Mounts);
        Assert.Equal(ExecMountType.Bind, mount.Type);
        Assert.Equal("/dev/pipes", mount.Target);
        Assert.Equal("/", mount.Source);
        Assert.True(mount.ReadOnly);
        var script = g.Output.Inputs[mount.SourceInput!.Value];
        var write = Assert.IsType<WriteFileAction>(Assert.Single(Assert.IsType<FileOp>(script.Op).Actions));
        Assert.Equal("/EOF", write.Path);
        Assert.Equal(0b111_101_101, write.Mode);
        // Not expanded (BuildKit ignores the expand option here): the interpreter reads the text as written.
        Assert.Equal("#!/usr/bin/env python3\nprint($X)\n", System.Text.Encoding.UTF8.GetString(write.Content));
        Assert.IsType<ScratchOp>(Assert.Single(script.Inputs).Op);
        Assert.Equal("[2/2] RUN <<EOF (#!/usr/bin/env python3...)", g.Output.Name);
    }

    [Fact]
    public void Interpreter_heredoc_is_chomped_named_after_its_delimiter_and_keeps_other_mounts()
    {
        var op = Run("FROM alpine\nRUN --mount=type=cache,target=/c <<-SCRIPT\n\t#!/bin/busybox sh -e\n\techo hi\n\tSCRIPT\n");
        Assert.Equal(["/dev/pipes/SCRIPT"], op.Args);
        Assert.Equal(2, op.Mounts.Count);
        Assert.Equal("/c", op.Mounts[0].Target);
        Assert.Equal("/dev/pipes", op.Mounts[1].Target);
    }

    [Fact]
    public void Interpreter_heredocs_with_different_scripts_have_different_definitions_through_their_input()
    {
        var a = Conv.Graph("FROM alpine\nRUN <<EOF\n#!/bin/sh\necho a\nEOF\n").Output;
        var b = Conv.Graph("FROM alpine\nRUN <<EOF\n#!/bin/sh\necho b\nEOF\n").Output;
        Assert.Equal(a.Op.CanonicalDefinition(), b.Op.CanonicalDefinition());
        var scriptA = a.Inputs[1].Op.CanonicalDefinition();
        Assert.NotEqual(scriptA, b.Inputs[1].Op.CanonicalDefinition());
    }

    [Fact]
    public void A_heredoc_without_interpreter_line_in_exec_form_or_with_a_command_is_not_a_script_file()
    {
        Assert.Equal(["/bin/sh", "-c", "#x\necho\n"], Run("FROM alpine\nRUN <<EOF\n#x\necho\nEOF\n").Args);
        Assert.Equal(["/bin/sh", "-c", "cat <<EOF\n#!/bin/sh\nEOF"], Run("FROM alpine\nRUN cat <<EOF\n#!/bin/sh\nEOF\n").Args);
    }

    [Fact]
    public void Vertex_name_shows_the_expanded_command()
    {
        var g = Conv.Graph("FROM alpine AS build\nARG V=3\nRUN echo $V\nFROM alpine\nCOPY --from=build /a /b\n", target: "build");
        Assert.Equal("[build 2/2] RUN echo 3", g.Output.Name);
    }
}
