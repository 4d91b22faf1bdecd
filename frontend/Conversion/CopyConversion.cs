using System.Globalization;
using System.Text;
using Csbuild.Frontend.Expansion;
using Csbuild.Frontend.Instructions;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Conversion;

/// <summary>
/// COPY and ADD → a FileOp on the stage's filesystem: a CopyAction reading the context, another stage or an
/// image (input 1), and a WriteFileAction per here-document source. ADD's remote sources and archive
/// auto-extraction are refused with a clear error until the graph can express them.
/// </summary>
internal static class CopyConversion
{
    private const int DefaultFileMode = 0b110_100_100; // 0644, the mode of here-document files

    public static void Apply(CopyInstruction copy, StageState state, ConversionContext ctx)
    {
        var verb = copy.IsAdd ? "ADD" : "COPY";
        if (copy.Parents) throw ctx.NotSupported(copy, "COPY --parents", "--parents");

        var paths = new List<string>();
        var documents = new List<(string Name, string Content)>();
        foreach (var source in copy.Sources)
        {
            if (source.Heredoc is { } doc)
            {
                var content = doc.EffectiveContent;
                if (doc.Expand) content = ExpandHeredoc(copy, content, state, ctx);
                documents.Add((source.Path, content));
            }
            else
            {
                paths.Add(ctx.Expand(copy, source.Path, state));
            }
        }
        var dest = ctx.Expand(copy, copy.Dest, state);
        var chown = copy.Chown is null ? null : ctx.Expand(copy, copy.Chown, state);
        var chmod = copy.Chmod is null ? null : ctx.Expand(copy, copy.Chmod, state);
        var excludes = copy.Excludes.Select(e => ctx.Expand(copy, e, state)).ToList();

        if (copy.IsAdd) CheckAddSources(copy, paths, ctx);
        else CheckCopySources(copy, paths, ctx);

        var destIsDir = dest.Length == 0 || dest == "." || dest.EndsWith('/') || dest.EndsWith("/.", StringComparison.Ordinal);
        if (paths.Count + documents.Count > 1 && !destIsDir)
            throw ctx.Error(copy, $"When using {verb} with more than one source file, the destination must be a directory and end with a /",
                $"write the destination as {dest}/", copy.Dest);
        var destPath = UnixPath.Resolve(state.WorkingDir, dest);
        if (destIsDir && !destPath.EndsWith('/')) destPath += "/";

        var mode = chmod is null ? (int?)null : ParseMode(copy, chmod, ctx);
        var owner = chown is null || chown.Length == 0 ? null : WorkdirConversion.Owner(chown);

        var actions = new List<FileAction>();
        var inputs = new List<Vertex> { state.State };
        if (paths.Count > 0)
        {
            inputs.Add(SourceVertex(copy, state, ctx));
            actions.Add(new CopyAction
            {
                SourceInput = 1,
                Sources = paths,
                Dest = destPath,
                Owner = owner,
                Mode = mode,
                DestIsDirectory = destIsDir,
                Excludes = excludes,
                FollowSymlinks = true,
            });
        }
        foreach (var (name, content) in documents)
        {
            var path = destIsDir ? destPath + name : destPath;
            actions.Add(new WriteFileAction(path, Encoding.UTF8.GetBytes(content), mode ?? DefaultFileMode, owner));
        }

        var vertexName = state.StepName(RunConversion.DisplayText(copy, state, ctx));
        state.State = ctx.NewVertex(state, new FileOp(actions), vertexName, [.. inputs]);

        var history = new StringBuilder(verb);
        if (chown is { Length: > 0 }) history.Append(" --chown=").Append(chown);
        if (chmod is { Length: > 0 }) history.Append(" --chmod=").Append(chmod);
        foreach (var p in paths) history.Append(' ').Append(p);
        foreach (var (name, _) in documents) history.Append(" <<").Append(name);
        history.Append(' ').Append(dest);
        state.AddHistory(history.ToString(), state.State);
    }

    /// <summary>
    /// Here-document bodies are expanded with quotes left alone (they are file content, not shell words), as
    /// BuildKit's raw expansion does.
    /// </summary>
    private static string ExpandHeredoc(CopyInstruction copy, string content, StageState state, ConversionContext ctx)
    {
        try
        {
            return new ShellLexer('\\') { SkipProcessQuotes = true }.ProcessWord(content, state.Lookup);
        }
        catch (ExpansionException e)
        {
            throw ctx.Error(copy, "in here-document: " + e.Message, "quote the delimiter (<<'EOF') to copy the text without expansion", "<<");
        }
    }

    private static Vertex SourceVertex(CopyInstruction copy, StageState state, ConversionContext ctx)
    {
        if (copy.From is null) return ctx.ContextVertex;
        if (StagePlan.FromReference(copy, state.Stage, ctx) is { } stage)
        {
            if (!ctx.Stages.TryGetValue(stage.Index, out var source))
                throw ctx.NotSupported(copy, $"COPY --from={copy.From} in an ONBUILD trigger naming a stage this build does not otherwise need", "--from");
            return source.State;
        }
        var platform = StageConverter.ImagePlatform(null, state.Platform);
        return ctx.NewVertex(state, new ImageOp(copy.From, platform), "[internal] load image " + copy.From);
    }

    private static void CheckCopySources(CopyInstruction copy, List<string> paths, ConversionContext ctx)
    {
        foreach (var path in paths)
        {
            if (IsGit(path)) throw ctx.Error(copy, "source can't be a git ref for COPY", "use ADD for a git repository", path);
            if (IsUrl(path)) throw ctx.Error(copy, "source can't be a URL for COPY", "use ADD for a URL", path);
        }
    }

    private static bool IsUrl(string path) =>
        path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static void CheckAddSources(CopyInstruction copy, List<string> paths, ConversionContext ctx)
    {
        foreach (var path in paths)
        {
            if (IsGit(path)) throw ctx.NotSupported(copy, "ADD from a git repository", path);
            if (IsUrl(path)) throw ctx.NotSupported(copy, "ADD from a URL", path);
        }
        if (copy.Checksum is not null) throw ctx.Error(copy, "checksum can't be specified for non-HTTP(S) sources", "--checksum is for ADD of a URL", "--checksum");
        if (copy.KeepGitDir is not null) throw ctx.Error(copy, "--keep-git-dir is only valid for git sources", near: "--keep-git-dir");
        // Local archives are unpacked by ADD; the graph has no extract action yet, so refuse rather than copy the archive as is.
        var contextDir = ctx.Request.Context.Directory;
        if (!Directory.Exists(contextDir)) return;
        foreach (var path in paths)
        {
            if (path.IndexOfAny(['*', '?', '[']) >= 0)
            {
                var dir = Path.Combine(contextDir, Path.GetDirectoryName(path.TrimStart('/')) ?? "");
                if (Directory.Exists(dir) && Directory.EnumerateFiles(dir, Path.GetFileName(path)).Any(ArchiveDetector.IsArchive))
                    throw ctx.NotSupported(copy, "ADD of a local archive (automatic extraction)", path);
                continue;
            }
            var full = Path.Combine(contextDir, path.TrimStart('/'));
            if (File.Exists(full) && ArchiveDetector.IsArchive(full))
                throw ctx.NotSupported(copy, "ADD of a local archive (automatic extraction)", path);
        }
    }

    private static bool IsGit(string path) =>
        path.StartsWith("git@", StringComparison.Ordinal) || path.StartsWith("git://", StringComparison.Ordinal)
        || (path.Contains("://", StringComparison.Ordinal) && (path.EndsWith(".git", StringComparison.Ordinal) || path.Contains(".git#", StringComparison.Ordinal)));

    private static int ParseMode(CopyInstruction copy, string chmod, ConversionContext ctx)
    {
        if (chmod.Length is > 0 and <= 6 && chmod.All(c => c is >= '0' and <= '7'))
        {
            var mode = Convert.ToInt32(chmod, 8);
            if (mode <= 0b111_111_111_111) return mode;
        }
        if (chmod.Length > 0 && chmod.All(c => "ugoa+-=rwxXst,".Contains(c)))
            throw ctx.NotSupported(copy, "a symbolic --chmod mode", "--chmod");
        throw ctx.Error(copy, $"invalid chmod parameter: '{chmod}'. it should be octal string and between 0 and 07777", "use an octal mode such as --chmod=0755", "--chmod");
    }
}
