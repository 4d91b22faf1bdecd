using Csbuild.Frontend.Instructions;
using Csbuild.Frontend.Parsing;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Conversion;

/// <summary>RUN → an ExecOp on the stage's filesystem, with the stage's shell, env (ENV + declared ARGs), user, workdir, network and mounts.</summary>
internal static class RunConversion
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static void Apply(RunInstruction run, StageState state, ConversionContext ctx)
    {
        var network = run.Network?.ToLowerInvariant() switch
        {
            null or "default" => NetworkMode.Default,
            "none" => NetworkMode.None,
            "host" => NetworkMode.Host,
            _ => throw ctx.Error(run, $"unsupported network mode \"{run.Network}\"", "use --network=default, none or host", "--network"),
        };
        // As BuildKit: host networking and privileged steps are entitlements the build must be granted (--allow).
        if (network == NetworkMode.Host && !ctx.Request.AllowedEntitlements.Contains(Entitlements.NetworkHost))
            throw ctx.Error(run, $"{Entitlements.NetworkHost} is not allowed", $"RUN --network=host needs --allow {Entitlements.NetworkHost}", "--network");
        switch (run.Security?.ToLowerInvariant())
        {
            case null or "sandbox": break;
            case "insecure" when !ctx.Request.AllowedEntitlements.Contains(Entitlements.SecurityInsecure):
                throw ctx.Error(run, $"{Entitlements.SecurityInsecure} is not allowed", $"RUN --security=insecure needs --allow {Entitlements.SecurityInsecure}", "--security");
            case "insecure":
                throw ctx.Error(run, "RUN --security=insecure is not supported yet: csbuild's executor has no privileged mode (all capabilities, host devices, no seccomp/AppArmor)",
                    "run the step without --security=insecure; see docs/dockerfile-support.md", "--security");
            default: throw ctx.Error(run, $"unsupported security mode \"{run.Security}\"", "use --security=sandbox or insecure", "--security");
        }

        // Input 0 is the stage's filesystem; the mounts' sources (stages, images, the context) follow.
        var inputs = new List<Vertex> { state.State };
        var mounts = MountConversion.Convert(run, state, ctx, inputs);

        List<string> args;
        if (ShebangScript(run) is { } script)
        {
            // RUN <<EOF with a #! line: the script becomes an executable file, run directly so its interpreter reads it.
            var (mount, path) = ScriptMount(run, script, state, ctx, inputs, mounts);
            mounts = [.. mounts, mount];
            args = [path];
        }
        else
        {
            args = Command(run).ToList();
            if (run.PrependShell) args.InsertRange(0, state.Shell);
        }

        var env = state.RunEnv.Clone();
        if (!env.Contains("PATH")) env.Set("PATH", DefaultPath);
        // Undeclared proxy build args reach the step outside its cache key and history (BuildKit's ProxyEnv).
        var proxy = ctx.Args.ProxyValues().Where(p => !env.Contains(p.Key)).Select(p => p.Key + "=" + p.Value).ToList();

        var op = new ExecOp
        {
            Args = args,
            Env = env.ToList(),
            ProxyEnv = proxy,
            User = state.Config.Config.User ?? "",
            WorkingDir = state.WorkingDir,
            Network = network,
            Mounts = mounts,
        };
        var name = state.StepName(DisplayText(run, state, ctx));
        state.State = ctx.NewVertex(state, op, name, [.. inputs]);
        state.AddHistory("RUN " + CommandString(args, state), state.State);
    }

    /// <summary>The command, with here-documents folded in as BuildKit does.</summary>
    private static IReadOnlyList<string> Command(RunInstruction run)
    {
        var heredocs = run.Node.Heredocs;
        if (heredocs.Count == 0 || !run.PrependShell) return run.Command;
        // RUN <<EOF: the body is the script, given to the shell.
        if (IsScriptHeredoc(run)) return [heredocs[0].EffectiveContent];
        // A command using here-documents: hand the shell the line and the documents, and let it read them.
        var full = new System.Text.StringBuilder(run.Command[0]);
        foreach (var doc in heredocs) full.Append('\n').Append(doc.Content).Append(doc.Name);
        return [full.ToString()];
    }

    /// <summary>Whether the whole command is one here-document (<c>RUN &lt;&lt;EOF</c>), which is the script itself.</summary>
    private static bool IsScriptHeredoc(RunInstruction run) =>
        run.PrependShell && run.Node.Heredocs.Count > 0 && run.Command.Count == 1 && HeredocMarkers.ParseWord(run.Command[0]) is not null;

    /// <summary>The here-document of <c>RUN &lt;&lt;EOF</c> when it starts with an interpreter line (<c>#!</c>); its expand flag is ignored, as BuildKit does.</summary>
    private static HeredocNode? ShebangScript(RunInstruction run) =>
        IsScriptHeredoc(run) && run.Node.Heredocs[0].EffectiveContent.StartsWith("#!", StringComparison.Ordinal) ? run.Node.Heredocs[0] : null;

    /// <summary>
    /// BuildKit's layout for a script with an interpreter line: a scratch filesystem holding the script (mode 0755,
    /// named after the delimiter), mounted read-only at <c>/dev/pipes/</c>; the step runs <c>/dev/pipes/NAME</c>.
    /// The script's content enters the step's cache key through that input's key.
    /// </summary>
    private static (ExecMount Mount, string Path) ScriptMount(RunInstruction run, HeredocNode script, StageState state, ConversionContext ctx, List<Vertex> inputs, IReadOnlyList<ExecMount> mounts)
    {
        const string directory = "/dev/pipes/";
        if (mounts.Any(m => m.Target == directory.TrimEnd('/')))
            throw ctx.Error(run, $"a --mount target {directory} conflicts with the mount of the here-document script", near: "--mount");
        var name = script.Name;
        var content = System.Text.Encoding.UTF8.GetBytes(script.EffectiveContent);
        var scratch = ctx.NewVertex(state, new ScratchOp(), "[internal] scratch");
        var file = ctx.NewVertex(state, new FileOp([new WriteFileAction("/" + name, content, 0b111_101_101)]), "[internal] preparing inline document", scratch);
        inputs.Add(file);
        var mount = new ExecMount
        {
            Type = ExecMountType.Bind,
            Target = directory.TrimEnd('/'),
            SourceInput = inputs.Count - 1,
            Source = "/",
            ReadOnly = true,
        };
        return (mount, directory + name);
    }

    /// <summary>BuildKit's history text: <c>|N K=V … cmd</c> when the stage declares ARGs.</summary>
    private static string CommandString(IReadOnlyList<string> args, StageState state)
    {
        var buildEnv = new List<string>();
        var positions = new Dictionary<string, int>();
        foreach (var (name, value) in state.BuildArgs)
        {
            var v = state.RunEnv.Get(name) ?? value ?? "";
            if (positions.TryGetValue(name, out var at)) buildEnv[at] = name + "=" + v;
            else
            {
                positions[name] = buildEnv.Count;
                buildEnv.Add(name + "=" + v);
            }
        }
        var parts = new List<string>();
        if (buildEnv.Count > 0)
        {
            parts.Add("|" + buildEnv.Count);
            parts.AddRange(buildEnv);
        }
        parts.AddRange(args);
        return string.Join(' ', parts);
    }

    /// <summary>
    /// The progress name text: the instruction as written, variables expanded. RUN keeps quotes and unset
    /// variables (BuildKit's raw lexer for RUN); other instructions use the plain word expansion.
    /// </summary>
    internal static string DisplayText(Instruction instruction, StageState state, ConversionContext ctx)
    {
        var text = instruction.DisplayText;
        var lexer = instruction is RunInstruction
            ? new Expansion.ShellLexer(ctx.Model.Syntax.EscapeChar) { RawQuotes = true, SkipUnsetEnv = true }
            : ctx.Lexer;
        try
        {
            text = lexer.ProcessWord(text, state.Lookup);
        }
        catch (Expansion.ExpansionException)
        {
            // Shown as written.
        }
        if (instruction is RunInstruction run && IsScriptHeredoc(run))
            text += $" ({SummarizeHeredoc(run.Node.Heredocs[0].Content)})";
        return text;
    }

    /// <summary>The first line of a here-document, with "..." when there are more.</summary>
    private static string SummarizeHeredoc(string doc)
    {
        var lines = doc.Trim().Replace("\r\n", "\n").Split('\n');
        return lines.Length > 1 ? lines[0] + "..." : lines[0];
    }
}
