using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>RUN here-documents with an interpreter line, predefined proxy args and RUN entitlements, through the real CLI with runc.</summary>
[Collection("busybox")]
public sealed class HeredocScriptTests(BusyboxStoreFixture busybox)
{
    private static ProcessResult Build(string root, TempDirectory dir, string dockerfile, params string[] flags)
    {
        dir.Write("ctx/Dockerfile", dockerfile);
        return CsbuildProgram.Run(root, ["build", "--progress=plain", .. flags, dir.Combine("ctx")]);
    }

    private static void AssertBuilt(ProcessResult build) => Assert.True(build.ExitCode == 0, build.ToString());

    [Fact]
    public void Interpreter_line_scripts_run_by_their_interpreter_and_leave_no_file_in_the_image()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var output = dir.Combine("out");
        const string dockerfile = """
            FROM busybox:latest
            RUN <<EOF
            #!/bin/sh -e
            echo "shell=$0 opts=$-" > /by-sh
            EOF
            RUN <<-SCRIPT
            	#!/bin/busybox sh
            	# busybox runs its sh applet with the script as its argument
            	printf '%s\n' "$0" "$(basename "$(readlink /proc/$$/exe)")" > /by-busybox
            	SCRIPT
            RUN <<EOF
            #!/bin/busybox awk -f
            BEGIN { print "never" }
            EOF
            """;
        // The kernel passes "awk -f" as one argument, so busybox finds no such applet: the step fails, as it would under BuildKit.
        var failed = Build(root, dir, dockerfile, "-o", "type=local,dest=" + output);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("/dev/pipes/EOF", failed.Output);

        var working = dockerfile[..dockerfile.IndexOf("RUN <<EOF\n#!/bin/busybox awk", StringComparison.Ordinal)];
        AssertBuilt(Build(root, dir, working, "-o", "type=local,dest=" + output));
        var bySh = File.ReadAllText(Path.Combine(output, "by-sh"));
        Assert.StartsWith("shell=/dev/pipes/EOF opts=", bySh);
        Assert.Contains("e", bySh["shell=/dev/pipes/EOF opts=".Length..]);
        Assert.Equal("/dev/pipes/SCRIPT\nbusybox\n", File.ReadAllText(Path.Combine(output, "by-busybox")));
        Assert.False(Directory.Exists(Path.Combine(output, "dev", "pipes")) && Directory.EnumerateFileSystemEntries(Path.Combine(output, "dev", "pipes")).Any());

        // The same scripts again: every step cached; a changed script runs again.
        var again = new PlainProgress(Build(root, dir, working).Stderr);
        Assert.Equal("CACHED", again.OutcomeOf("RUN <<EOF"));
        var changed = new PlainProgress(Build(root, dir, working.Replace("opts=", "options=")).Stderr);
        Assert.NotEqual("CACHED", changed.OutcomeOf("RUN <<EOF"));
    }

    [Fact]
    public void Proxy_build_args_reach_the_step_but_not_its_cache_key_or_the_image()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        const string dockerfile = "FROM busybox:latest\nRUN echo \"$HTTP_PROXY|$no_proxy\" > /proxy\n";
        var output = dir.Combine("out");
        AssertBuilt(Build(root, dir, dockerfile, "--build-arg", "HTTP_PROXY=http://proxy-one:3128", "--build-arg", "no_proxy=internal",
            "-t", "proxied:1", "-o", "type=local,dest=" + output));
        Assert.Equal("http://proxy-one:3128|internal\n", File.ReadAllText(Path.Combine(output, "proxy")));

        var other = Build(root, dir, dockerfile, "--build-arg", "HTTP_PROXY=http://proxy-two:8080", "-t", "proxied:2");
        AssertBuilt(other);
        Assert.Equal("CACHED", new PlainProgress(other.Stderr).OutcomeOf("RUN echo"));

        AssertBuilt(Build(root, dir, dockerfile, "-t", "proxied:1"));
        var inspect = CsbuildProgram.Run(root, "inspect", "proxied:1");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.DoesNotContain("proxy-one", inspect.Stdout);
        var history = CsbuildProgram.Run(root, "history", "--no-trunc", "proxied:1");
        Assert.True(history.ExitCode == 0, history.ToString());
        Assert.Contains("echo \"$HTTP_PROXY|$no_proxy\"", history.Stdout);
        Assert.DoesNotContain("proxy-one", history.Stdout);
        Assert.DoesNotContain("HTTP_PROXY=", history.Stdout);
    }

    [Fact]
    public void Host_network_needs_the_entitlement_and_insecure_steps_say_they_are_not_implemented()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var denied = Build(root, dir, "FROM busybox:latest\nRUN --network=host true\n");
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("network.host is not allowed", denied.Stderr);
        AssertBuilt(Build(root, dir, "FROM busybox:latest\nRUN --network=host true\n", "--allow", "network.host"));
        // buildx grants network.host with --network host.
        AssertBuilt(Build(root, dir, "FROM busybox:latest\nRUN --network=host echo again\n", "--network", "host"));

        var insecure = Build(root, dir, "FROM busybox:latest\nRUN --security=insecure true\n");
        Assert.Contains("security.insecure is not allowed", insecure.Stderr);
        var allowed = Build(root, dir, "FROM busybox:latest\nRUN --security=insecure true\n", "--allow", "security.insecure");
        Assert.Equal(1, allowed.ExitCode);
        Assert.Contains("not supported yet", allowed.Stderr);

        var unknown = Build(root, dir, "FROM busybox:latest\n", "--allow", "device");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("invalid --allow \"device\"", unknown.Stderr);
    }
}
