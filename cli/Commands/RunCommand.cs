using System.CommandLine;
using System.CommandLine.Parsing;
using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Cli.Config;
using Csbuild.Executor;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Model;
using Csbuild.Solver.Ops;
using Csbuild.Solver.Progress;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>csbuild run [OPTIONS] NAME [CMD...]</c>: runs a local image once for a quick check, as <c>docker run --rm</c>
/// would: its layers (unpacked into the snapshot store, as a build would) under a throwaway overlay upper dir, with the
/// image's Entrypoint, Cmd, Env, WorkingDir and User, output streamed line by line, and the process' exit status as
/// csbuild's. csbuild keeps no containers, so the container's changes are always discarded (<c>--rm</c> is accepted
/// so docker command lines work). Errors of csbuild itself exit 125; a command that cannot be found or run exits
/// 127 or 126, as docker does.
/// </summary>
internal static class RunCommand
{
    public const int RunFailed = 125;

    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "Image name[:tag], digest or short id" };
        var commandArgs = new Argument<string[]>("CMD") { Description = "Command and arguments (default: the image's Cmd); put -- before it if it uses flags named like run's", Arity = ArgumentArity.ZeroOrMore };
        var rm = new Option<bool>("--rm") { Description = "Accepted for docker compatibility: the container's changes are always discarded" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set an environment variable (KEY=VALUE, or KEY to copy it from this environment); repeatable", AllowMultipleArgumentsPerToken = false };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container (default: the image's WorkingDir, else /)" };
        var user = new Option<string?>("--user", "-u") { Description = "User to run as: name, uid, name:group or uid:gid (default: the image's User, else root)" };
        var entrypoint = new Option<string?>("--entrypoint") { Description = "Override the image's Entrypoint (the image's Cmd is then not used)" };
        var network = new Option<string>("--network") { Description = "Network: none (default, no network at all) or host (the host's network)", DefaultValueFactory = _ => "none" };
        var runtime = new Option<string?>("--runtime") { Description = "OCI runtime binary (default: the config's runtime, runc)" };
        var hostname = new Option<string>("--hostname") { Description = "Container host name", DefaultValueFactory = _ => "csbuild" };
        var command = new Command("run", "Run a command in a new container from a local image (changes are discarded)")
        {
            name, commandArgs, rm, env, workdir, user, entrypoint, network, runtime, hostname,
        };
        // Everything after NAME belongs to the container's command, including "-l" in "run img ls -l".
        command.TreatUnmatchedTokensAsErrors = false;
        var valueOptions = new Option[] { env, workdir, user, entrypoint, network, runtime, hostname, CommonOptions.Root };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var (imageName, cmd) = SplitCommandLine(parse, valueOptions);
                return await RunAsync(parse, imageName, cmd, new RunSettings(
                    parse.GetValue(env) ?? [], parse.GetValue(workdir), parse.GetValue(user), parse.GetValue(entrypoint),
                    parse.GetValue(network)!, parse.GetValue(runtime), parse.GetValue(hostname)!), ct);
            }
            catch (Exception e)
            {
                var (message, _) = CommandErrors.Classify(e);
                Console.Error.WriteLine("error: " + message);
                if (CommandErrors.Debug) Console.Error.WriteLine(e);
                return RunFailed;
            }
        });
        return command;
    }

    private sealed record RunSettings(string[] Env, string? WorkDir, string? User, string? Entrypoint, string Network, string? Runtime, string Hostname);

    /// <summary>
    /// NAME is the first positional token; every token after it, whatever it looks like, is the container's command
    /// (docker's rule). Unknown flags before NAME are errors, since the parser was told to let them through.
    /// </summary>
    private static (string Name, string[] Command) SplitCommandLine(ParseResult parse, Option[] valueOptions)
    {
        var tokens = parse.Tokens;
        int start = tokens.ToList().FindIndex(t => t.Type == TokenType.Command && t.Value == "run") + 1;
        for (int i = start; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Type == TokenType.Option)
            {
                bool takesValue = valueOptions.Any(o => o.Name == token.Value || o.Aliases.Contains(token.Value));
                if (takesValue && !token.Value.Contains('=')) i++;
                continue;
            }
            if (token.Type == TokenType.DoubleDash) continue;
            if (token.Value.StartsWith('-') && token.Value.Length > 1)
                throw new CliException($"unknown flag '{token.Value}' for 'csbuild run' (flags go before the image name)");
            var rest = tokens.Skip(i + 1).ToList();
            if (rest.Count > 0 && rest[0].Type == TokenType.DoubleDash) rest.RemoveAt(0);
            return (token.Value, rest.Select(t => t.Value).ToArray());
        }
        throw new CliException("'csbuild run' requires at least 1 argument: the image (e.g. 'csbuild run busybox echo hi')");
    }

    private static async Task<int> RunAsync(ParseResult parse, string imageName, string[] cmd, RunSettings settings, CancellationToken ct)
    {
        var networkMode = settings.Network switch
        {
            "none" => ContainerNetwork.None,
            "host" => ContainerNetwork.Host,
            _ => throw new CliException($"invalid --network '{settings.Network}': expected none or host"),
        };
        using var root = CommonOptions.OpenRoot(parse);
        var image = LocalImageLookup.Find(root, imageName);
        var manifest = LocalImageLookup.ReadManifest(root, image, imageName);
        var config = LocalImageLookup.ReadConfig(root, manifest);
        var containerConfig = config.Config;

        // docker's rule: --entrypoint replaces the image's and drops its Cmd; CMD arguments replace the Cmd.
        IReadOnlyList<string> entry = settings.Entrypoint is { } e ? (e.Length == 0 ? [] : [e]) : containerConfig.Entrypoint ?? [];
        IReadOnlyList<string> arguments = cmd.Length > 0 ? cmd : settings.Entrypoint is not null ? [] : containerConfig.Cmd ?? [];
        var args = entry.Concat(arguments).ToList();
        if (args.Count == 0) throw new CliException($"no command specified: {imageName} has no Entrypoint or Cmd; give one after the image name");

        var lowerDirs = UnpackChain(root, manifest, config, imageName).Reverse().ToList();
        var runtimePath = settings.Runtime ?? CsbuildConfig.Load().Runtime.Value;
        var runner = new ContainerRunner(new ContainerRunnerOptions { RuntimePath = runtimePath });
        using var upper = root.Snapshots.Begin();
        var bundleDir = StaleFiles.NewPath(root.TempDirectory, "run");
        Directory.CreateDirectory(bundleDir);
        try
        {
            var result = await runner.RunAsync(new ContainerRequest
            {
                LowerDirs = lowerDirs,
                UpperDir = upper.FsPath,
                OverlayWorkDir = upper.WorkPath,
                TempDirectory = bundleDir,
                Args = args,
                Env = MergeEnv(containerConfig.Env ?? [], settings.Env),
                User = settings.User ?? containerConfig.User ?? "",
                WorkingDir = settings.WorkDir ?? (string.IsNullOrEmpty(containerConfig.WorkingDir) ? "/" : containerConfig.WorkingDir),
                Network = networkMode,
                Hostname = settings.Hostname,
            }, new InlineProgress<OutputLine>(WriteLine), ct);
            // The runtime prints its own failures (e.g. "executable file not found") on the stderr we stream.
            Console.Out.Flush();
            return result.ExitCode;
        }
        finally
        {
            if (!Solver.Native.MountTable.HasMountUnder(bundleDir)) StaleFiles.DeleteTree(bundleDir);
        }
    }

    private static void WriteLine(OutputLine line)
    {
        var writer = line.Stream == OutputStream.Stderr ? Console.Error : Console.Out;
        writer.WriteLine(line.Text);
        writer.Flush();
    }

    /// <summary>The image's layers, bottom first, unpacked (recorded by chain id as a build's FROM does, so both share snapshots).</summary>
    private static IReadOnlyList<string> UnpackChain(CsbuildRoot root, ImageManifest manifest, ImageConfig config, string name) =>
        ImageChains.UnpackedDirectories(root, ImageChains.Register(root, manifest, config, name));

    /// <summary>The image's Env with <c>-e</c> values replacing same-named entries; <c>-e KEY</c> copies KEY from here (skipped when unset).</summary>
    internal static List<string> MergeEnv(IReadOnlyList<string> imageEnv, IReadOnlyList<string> overrides)
    {
        var merged = new List<string>(imageEnv);
        foreach (var item in overrides)
        {
            var eq = item.IndexOf('=');
            if (eq == 0) throw new CliException($"invalid --env '{item}': missing name");
            string entry;
            if (eq > 0) entry = item;
            else if (Environment.GetEnvironmentVariable(item) is { } value) entry = item + "=" + value;
            else continue;
            var key = entry[..(entry.IndexOf('=') + 1)];
            merged.RemoveAll(e => e.StartsWith(key, StringComparison.Ordinal));
            merged.Add(entry);
        }
        return merged;
    }
}
