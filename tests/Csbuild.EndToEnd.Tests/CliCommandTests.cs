using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// inspect, history, tag, rmi, run, login/logout, config, completion and help, driven as a user drives them: the real
/// csbuild process, its exit code, stdout and stderr.
/// </summary>
[Collection("busybox")]
public sealed class CliCommandTests(BusyboxStoreFixture busybox, CliCommandTests.AuthRegistry registry) : IClassFixture<CliCommandTests.AuthRegistry>
{
    /// <summary>A registry that wants Basic auth (htpasswd), for login.</summary>
    public sealed class AuthRegistry() : RegistryFixture(new RegistryFixtureOptions { Username = "tester", Password = "pa55-word" });

    private const string Dockerfile = """
        FROM busybox:latest
        ENV GREETING=hello-from-image
        WORKDIR /work
        RUN echo built > /work/made.txt
        CMD ["sh", "-c", "echo $GREETING; pwd; cat made.txt"]
        """;

    private static string BuildApp(TempDirectory dir, string root, string tag = "app:1")
    {
        dir.Write("ctx/Dockerfile", Dockerfile);
        var build = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", tag, dir.Combine("ctx"));
        Assert.True(build.ExitCode == 0, build.ToString());
        return tag;
    }

    private static string Digest(string root, string name)
    {
        var images = CsbuildProgram.Run(root, "inspect", name);
        Assert.True(images.ExitCode == 0, images.ToString());
        return JsonNode.Parse(images.Stdout)![0]!["Digest"]!.GetValue<string>();
    }

    [Fact]
    public void Inspect_PrintsManifestAndConfig_RawBytesMatchTheirDigests()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        BuildApp(dir, root);

        var inspect = CsbuildProgram.Run(root, "inspect", "app:1", "busybox");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        var images = JsonNode.Parse(inspect.Stdout)!.AsArray();
        Assert.Equal(2, images.Count);
        var app = images[0]!;
        Assert.Equal(["app:1"], app["Names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("/work", app["Config"]!["config"]!["WorkingDir"]!.GetValue<string>());
        Assert.Contains("GREETING=hello-from-image", app["Config"]!["config"]!["Env"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(app["Manifest"]!["layers"]!.AsArray().Count, app["Config"]!["rootfs"]!["diff_ids"]!.AsArray().Count);
        Assert.StartsWith("linux/", app["Platform"]!.GetValue<string>());

        // --raw is the stored manifest byte for byte: its sha256 is the image digest; --config hashes to the config digest.
        var digest = app["Digest"]!.GetValue<string>();
        var raw = RunBytes(root, "inspect", "--raw", "app:1");
        Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(raw)));
        Assert.Equal(app["Size"]!.GetValue<long>(), raw.Length);
        var config = RunBytes(root, "inspect", "--config", digest[..19]); // by short id, as docker allows
        Assert.Equal(app["Manifest"]!["config"]!["digest"]!.GetValue<string>(), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(config)));

        var missing = CsbuildProgram.Run(root, "inspect", "nope:1");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No such image: nope:1", missing.Stderr);
        Assert.Equal(2, CsbuildProgram.Run(root, "inspect", "--raw", "app:1", "busybox").ExitCode);
    }

    [Fact]
    public void History_ListsTheStepsNewestFirst_WithSizesOnlyForLayers()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        BuildApp(dir, root);

        var history = CsbuildProgram.Run(root, "history", "app:1");
        Assert.True(history.ExitCode == 0, history.ToString());
        var lines = history.Stdout.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$", lines[0]);
        Assert.StartsWith(Digest(root, "app:1")["sha256:".Length..][..12], lines[1]);
        Assert.Contains("CMD [\"sh\"", lines[1]);
        Assert.Contains(" 0B", lines[1]); // CMD makes no layer
        Assert.All(lines.Skip(2), l => Assert.StartsWith("<missing>", l));
        var run = Assert.Single(lines, l => l.Contains("RUN /bin/sh -c echo built"));
        Assert.DoesNotContain(" 0B ", run);
        Assert.Contains(lines, l => l.Contains("ENV GREETING=hello-from-image"));
        Assert.Contains("Imported from", lines[^1]); // the base image's own history comes last

        var full = CsbuildProgram.Run(root, "history", "--no-trunc", "--human=false", "app:1");
        Assert.True(full.ExitCode == 0, full.ToString());
        Assert.Contains(Digest(root, "app:1"), full.Stdout);
        Assert.Contains("CMD [\"sh\" \"-c\" \"echo $GREETING; pwd; cat made.txt\"]", full.Stdout);
        Assert.Matches(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", full.Stdout);

        var quiet = CsbuildProgram.Run(root, "history", "-q", "app:1");
        Assert.Equal(lines.Length - 1, quiet.Stdout.TrimEnd('\n').Split('\n').Length);
    }

    [Fact]
    public void Tag_AddsAName_AndRmi_RemovesOnlyNames_LeavingTheContent()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var digest = Digest(root, "busybox");

        var tag = CsbuildProgram.Run(root, "tag", "busybox", "localhost:5000/team/bb:v2");
        Assert.True(tag.ExitCode == 0, tag.ToString());
        Assert.Contains("localhost:5000/team/bb:v2", CsbuildProgram.Run(root, "inspect", "busybox").Stdout);
        Assert.Equal(digest, Digest(root, "localhost:5000/team/bb:v2"));
        Assert.Equal(1, CsbuildProgram.Run(root, "tag", "nope", "x:1").ExitCode);
        Assert.Equal(2, CsbuildProgram.Run(root, "tag", "busybox", "Bad:Name").ExitCode);
        Assert.Equal(2, CsbuildProgram.Run(root, "tag", "busybox", $"x@{digest}").ExitCode);

        // By digest, a two-name image needs --force (as docker rmi); by name, one name goes.
        var conflict = CsbuildProgram.Run(root, "rmi", digest);
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("must be forced", conflict.Stderr);
        var rmi = CsbuildProgram.Run(root, "rmi", "localhost:5000/team/bb:v2", "missing:1");
        Assert.Equal(1, rmi.ExitCode);
        Assert.Contains("Untagged: localhost:5000/team/bb:v2", rmi.Stdout);
        Assert.Contains("No such image: missing:1", rmi.Stderr);
        Assert.Equal(0, CsbuildProgram.Run(root, "rmi", "busybox").ExitCode);
        Assert.DoesNotContain("busybox", CsbuildProgram.Run(root, "images").Stdout);

        // The manifest blob is still there, for garbage collection to decide.
        Assert.True(File.Exists(Path.Combine(root, "blobs", "sha256", digest["sha256:".Length..])));
    }

    [Fact]
    public void Run_UsesTheImagesCmdEnvAndWorkdir_StreamsOutput_AndReturnsTheExitCode()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        BuildApp(dir, root);

        var run = CsbuildProgram.Run(root, "run", "--rm", "app:1");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello-from-image\n/work\nbuilt\n", run.Stdout);

        // Everything after the image is the command, flags included; -e and -w override the image.
        var custom = CsbuildProgram.Run(root, "run", "-e", "GREETING=overridden", "-w", "/tmp", "app:1", "sh", "-c", "echo $GREETING; pwd; echo err >&2; ls -d /work");
        Assert.True(custom.ExitCode == 0, custom.ToString());
        Assert.Equal("overridden\n/tmp\n/work\n", custom.Stdout);
        Assert.Equal("err\n", custom.Stderr);

        Assert.Equal(42, CsbuildProgram.Run(root, "run", "app:1", "sh", "-c", "exit 42").ExitCode);
        Assert.Equal(127, CsbuildProgram.Run(root, "run", "app:1", "no-such-program").ExitCode);
        var missing = CsbuildProgram.Run(root, "run", "missing:1", "true");
        Assert.Equal(125, missing.ExitCode);
        Assert.Contains("No such image: missing:1", missing.Stderr);
        Assert.Equal(125, CsbuildProgram.Run(root, "run", "--bogus", "app:1").ExitCode);

        // The upper dir is thrown away: a second run does not see the first one's file.
        Assert.Equal(0, CsbuildProgram.Run(root, "run", "app:1", "touch", "/work/left-behind").ExitCode);
        Assert.Equal(1, CsbuildProgram.Run(root, "run", "app:1", "test", "-e", "/work/left-behind").ExitCode);
        Assert.Empty(Directory.GetDirectories(Path.Combine(root, "snapshots"), "*.tmp"));
    }

    [Fact]
    public void Login_ChecksTheCredentials_StoresThemTheDockerWay_AndLogoutRemovesThem()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var env = new Dictionary<string, string?> { ["DOCKER_CONFIG"] = dir.Combine("docker"), ["CSBUILD_REGISTRY_USERNAME"] = null };
        var configPath = dir.Combine("docker", "config.json");

        var wrong = ProcessWithStdin(root, env, "not-the-password\n", "login", "-u", "tester", "--password-stdin", registry.Host);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("refused", wrong.Stderr);
        Assert.False(File.Exists(configPath));

        var login = ProcessWithStdin(root, env, registry.Password + "\n", "login", "-u", "tester", "--password-stdin", registry.Host);
        Assert.True(login.ExitCode == 0, login + "\n" + registry.RecentLog);
        Assert.Contains("Login Succeeded", login.Stdout);
        Assert.DoesNotContain(registry.Password!, login.Output);
        var auth = JsonNode.Parse(File.ReadAllText(configPath))!["auths"]![registry.Host]!["auth"]!.GetValue<string>();
        Assert.Equal("tester:" + registry.Password, Encoding.UTF8.GetString(Convert.FromBase64String(auth)));

        // The stored credentials are what push uses.
        var push = CsbuildProgram.Run(root, env, "push", "busybox", registry.Reference("login/bb:1"));
        Assert.True(push.ExitCode == 0, push.ToString());

        var logout = CsbuildProgram.Run(root, env, "logout", registry.Host);
        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.Contains($"Removing login credentials for {registry.Host}", logout.Stdout);
        Assert.Null(JsonNode.Parse(File.ReadAllText(configPath))!["auths"]![registry.Host]);
        Assert.Contains("Not logged in", CsbuildProgram.Run(root, env, "logout", registry.Host).Stdout);
        Assert.Equal(1, CsbuildProgram.Run(root, env, "push", "busybox", registry.Reference("login/bb:2")).ExitCode);

        var noUser = ProcessWithStdin(root, env, "x\n", "login", "--password-stdin", registry.Host);
        Assert.Equal(2, noUser.ExitCode);
    }

    [Fact]
    public void ConfigShow_PrintsEffectiveValuesAndTheirSources_AndABadFileIsAUsageError()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("csbuild.toml", "runtime = \"runc\"\n[gc]\nkeep_storage = \"5GB\"\n[registry.\"localhost:5000\"]\ninsecure = true\n");
        var root = dir.Combine("root");
        var show = CsbuildProgram.Run(root, new Dictionary<string, string?> { ["CSBUILD_CONFIG"] = file }, "config", "show");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Matches($@"root = ""{root}""\s+# env CSBUILD_ROOT", show.Stdout);
        Assert.Matches($@"runtime = ""runc""\s+# {file}:1", show.Stdout);
        Assert.Matches($@"keep_storage = ""5GB""\s+# {file}:3; 5368709120 bytes", show.Stdout);
        Assert.Contains("[registry.\"localhost:5000\"]", show.Stdout);
        Assert.Matches($@"insecure = true\s+# {file}:5", show.Stdout);
        Assert.Matches(@"root = ""/elsewhere""\s+# --root", CsbuildProgram.Run(root, new Dictionary<string, string?> { ["CSBUILD_CONFIG"] = file }, "config", "show", "--root", "/elsewhere").Stdout);

        var bad = dir.Write("bad.toml", "[gc]\nkeep_storage = \"plenty\"\n");
        var error = CsbuildProgram.Run(root, new Dictionary<string, string?> { ["CSBUILD_CONFIG"] = bad }, "config", "show");
        Assert.Equal(2, error.ExitCode);
        Assert.Contains($"{bad}:2", error.Stderr);
    }

    [Fact]
    public void Completion_Bash_CompletesCommandsFlagsAndImageNames()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var script = CsbuildProgram.Run(root, "completion", "bash");
        Assert.True(script.ExitCode == 0, script.ToString());
        var scriptPath = dir.Write("csbuild.bash", script.Stdout);
        Assert.Equal(0, ProcessRunner.Run("bash", "-n", scriptPath).ExitCode);

        // Complete as bash would, with `csbuild` on PATH being the program under test.
        var bin = CsbuildExecutable.WriteShim(dir.Combine("bin"));
        string Complete(params string[] words)
        {
            var line = string.Join(' ', words.Select(w => $"'{w}'"));
            var result = ProcessRunner.Run("bash", ["-c", $"source {scriptPath}; COMP_WORDS=({line}); COMP_CWORD={words.Length - 1}; _csbuild; printf '%s\\n' \"${{COMPREPLY[@]}}\""],
                environment: new Dictionary<string, string?> { ["PATH"] = Path.GetDirectoryName(bin) + ":" + Environment.GetEnvironmentVariable("PATH"), ["CSBUILD_ROOT"] = root });
            Assert.True(result.ExitCode == 0, result.ToString());
            return result.Stdout;
        }
        Assert.Contains("inspect\n", Complete("csbuild", "ins"));
        Assert.Contains("--no-trunc\n", Complete("csbuild", "history", "--no"));
        Assert.Contains("plain\n", Complete("csbuild", "build", "--progress", "pl"));
        Assert.Equal("busybox:latest\n", Complete("csbuild", "run", "bu"));

        foreach (var shell in new[] { "zsh", "fish" })
        {
            var other = CsbuildProgram.Run(root, "completion", shell);
            Assert.True(other.ExitCode == 0, other.ToString());
            Assert.Contains("history", other.Stdout);
            Assert.Contains("--password-stdin", other.Stdout);
        }
        Assert.StartsWith("#compdef csbuild", CsbuildProgram.Run(root, "completion", "zsh").Stdout);
        Assert.Equal(2, CsbuildProgram.Run(root, "completion", "tcsh").ExitCode);
    }

    [Theory]
    [InlineData("build", "SOURCE_DATE_EPOCH")]
    [InlineData("cache", "--no-cache-filter")]
    [InlineData("outputs", "--push")]
    [InlineData("dockerfile", "ONBUILD")]
    [InlineData("config", "keep_storage")]
    [InlineData("exit-codes", "127")]
    public void Help_Topics_ArePrinted(string topic, string expected)
    {
        var help = CsbuildProgram.Run("/nonexistent-root", "help", topic);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.StartsWith("NAME", help.Stdout);
        Assert.Contains(expected, help.Stdout);
    }

    [Fact]
    public void Help_WithoutTopic_ListsCommands_AndGivenACommand_ShowsItsUsage()
    {
        var overview = CsbuildProgram.Run("/nonexistent-root", "help");
        Assert.Equal(0, overview.ExitCode);
        foreach (var command in new[] { "inspect", "history", "tag", "rmi", "run", "login", "logout", "completion", "config", "version" })
            Assert.Matches($@"\n    {command}\s", overview.Stdout);
        var run = CsbuildProgram.Run("/nonexistent-root", "help", "run");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--entrypoint", run.Stdout);
        Assert.Equal(2, CsbuildProgram.Run("/nonexistent-root", "help", "nonsense").ExitCode);
        Assert.Matches(@"^csbuild \d+\.\d+\.\d+", CsbuildProgram.Run("/nonexistent-root", "version").Stdout);
    }

    private static byte[] RunBytes(string root, params string[] args)
    {
        var start = CsbuildExecutable.StartInfo(args);
        start.Environment["CSBUILD_ROOT"] = root;
        using var process = System.Diagnostics.Process.Start(start)!;
        using var buffer = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr.Result);
        return buffer.ToArray();
    }

    private static ProcessResult ProcessWithStdin(string root, IDictionary<string, string?> env, string stdin, params string[] args)
    {
        var environment = new Dictionary<string, string?>(env) { ["CSBUILD_ROOT"] = root, ["NO_COLOR"] = "1", ["CI"] = "true" };
        return CsbuildExecutable.Run(args, environment: environment, stdin: stdin);
    }
}
