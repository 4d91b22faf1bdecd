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
        switch (run.Security?.ToLowerInvariant())
        {
            case null or "sandbox": break;
            case "insecure": throw ctx.NotSupported(run, "RUN --security=insecure", "--security");
            default: throw ctx.Error(run, $"unsupported security mode \"{run.Security}\"", "use --security=sandbox or insecure", "--security");
        }

        // Input 0 is the stage's filesystem; the mounts' sources (stages, images, the context) follow.
        var inputs = new List<Vertex> { state.State };
        var mounts = MountConversion.Convert(run, state, ctx, inputs);

        var args = Command(run, ctx).ToList();
        if (run.PrependShell) args.InsertRange(0, state.Shell);

        var env = state.RunEnv.Clone();
        foreach (var (k, v) in ctx.Args.ProxyValues())
            if (!env.Contains(k)) env.Set(k, v);
        if (!env.Contains("PATH")) env.Set("PATH", DefaultPath);

        var op = new ExecOp
        {
            Args = args,
            Env = env.ToList(),
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
    private static IReadOnlyList<string> Command(RunInstruction run, ConversionContext ctx)
    {
        var heredocs = run.Node.Heredocs;
        if (heredocs.Count == 0 || !run.PrependShell) return run.Command;
        if (run.Command.Count == 1 && HeredocMarkers.ParseWord(run.Command[0]) is not null)
        {
            // RUN <<EOF: the body is the script, given to the shell.
            var script = heredocs[0].EffectiveContent;
            if (script.StartsWith("#!", StringComparison.Ordinal))
                throw ctx.NotSupported(run, "a RUN here-document with a #! interpreter line", "<<");
            return [script];
        }
        // A command using here-documents: hand the shell the line and the documents, and let it read them.
        var full = new System.Text.StringBuilder(run.Command[0]);
        foreach (var doc in heredocs) full.Append('\n').Append(doc.Content).Append(doc.Name);
        return [full.ToString()];
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
        if (instruction is RunInstruction { PrependShell: true } run && run.Node.Heredocs.Count > 0
            && run.Command.Count == 1 && HeredocMarkers.ParseWord(run.Command[0]) is not null)
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
