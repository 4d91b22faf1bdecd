using System.Globalization;
using System.Text;
using Csbuild.Frontend.Expansion;
using Csbuild.Frontend.Instructions;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Conversion;

/// <summary>
/// COPY and ADD → a FileOp on the stage's filesystem: a CopyAction reading the context, another stage or an
/// image (input 1), a WriteFileAction per here-document source, and for ADD an HttpDownloadAction per URL and
/// a GitCloneAction per git repository. ADD's local sources are unpacked when they are tar archives.
/// </summary>
internal static class CopyConversion
{
    private const int DefaultFileMode = 0b110_100_100; // 0644, the mode of here-document files

    public static void Apply(CopyInstruction copy, StageState state, ConversionContext ctx)
    {
        var verb = copy.IsAdd ? "ADD" : "COPY";

        var paths = new List<string>();
        var urls = new List<string>();
        var repositories = new List<string>();
        var documents = new List<(string Name, string Content)>();
        var written = new List<string>(); // the non-heredoc sources, expanded, in order (for the history)
        foreach (var source in copy.Sources)
        {
            if (source.Heredoc is { } doc)
            {
                var content = doc.EffectiveContent;
                if (doc.Expand) content = ExpandHeredoc(copy, content, state, ctx);
                documents.Add((source.Path, content));
                continue;
            }
            var path = ctx.Expand(copy, source.Path, state);
            written.Add(path);
            if (copy.IsAdd && AddSources.IsGit(path)) repositories.Add(path);
            else if (copy.IsAdd && AddSources.IsUrl(path)) urls.Add(path);
            else paths.Add(path);
        }
        var dest = ctx.Expand(copy, copy.Dest, state);
        var chown = copy.Chown is null ? null : ctx.Expand(copy, copy.Chown, state);
        var chmod = copy.Chmod is null ? null : ctx.Expand(copy, copy.Chmod, state);
        var checksum = copy.Checksum is null ? null : ctx.Expand(copy, copy.Checksum, state);
        var excludes = copy.Excludes.Select(e => ctx.Expand(copy, e, state)).ToList();

        if (copy.IsAdd) CheckAddSources(copy, paths, urls, repositories, checksum, ctx);
        else CheckCopySources(copy, paths, ctx);

        // --parents places every source below the destination by its own path, so the destination is a directory.
        var destIsDir = dest.Length == 0 || dest == "." || dest.EndsWith('/') || dest.EndsWith("/.", StringComparison.Ordinal) || copy.Parents;
        if (paths.Count + urls.Count + repositories.Count + documents.Count > 1 && !destIsDir)
            throw ctx.Error(copy, $"When using {verb} with more than one source file, the destination must be a directory and end with a /",
                $"write the destination as {dest}/", copy.Dest);
        var destPath = UnixPath.Resolve(state.WorkingDir, dest);
        if (destIsDir && !destPath.EndsWith('/')) destPath += "/";

        var (mode, modeChange) = chmod is null ? (null, null) : ParseMode(copy, chmod, ctx);
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
                ModeChange = modeChange,
                DestIsDirectory = destIsDir,
                Excludes = excludes,
                FollowSymlinks = true,
                IncludeParents = copy.Parents,
                AttemptUnpack = copy.IsAdd,
            });
        }
        foreach (var url in urls)
        {
            actions.Add(new HttpDownloadAction
            {
                Url = url,
                FileName = AddSources.FileNameOf(url),
                Dest = destPath,
                DestIsDirectory = destIsDir,
                Checksum = checksum,
                Owner = owner,
                Mode = mode,
                ModeChange = modeChange,
            });
        }
        foreach (var repository in repositories)
        {
            var address = AddSources.ParseGit(repository);
            actions.Add(new GitCloneAction
            {
                Remote = address.Remote,
                Ref = address.Ref,
                Subdirectory = address.Subdirectory,
                Dest = destPath.EndsWith('/') ? destPath : destPath + "/", // a repository is always unpacked into a directory
                KeepGitDir = copy.KeepGitDir ?? false,
                Owner = owner,
                Mode = mode,
                ModeChange = modeChange,
            });
        }
        foreach (var (name, content) in documents)
        {
            var path = destIsDir ? destPath + name : destPath;
            var documentMode = mode ?? (int?)modeChange?.Apply(DefaultFileMode, isDirectory: false) ?? DefaultFileMode;
            actions.Add(new WriteFileAction(path, Encoding.UTF8.GetBytes(content), documentMode, owner));
        }

        var vertexName = state.StepName(RunConversion.DisplayText(copy, state, ctx));
        state.State = ctx.NewVertex(state, new FileOp(actions), vertexName, [.. inputs]);

        var history = new StringBuilder(verb);
        if (chown is { Length: > 0 }) history.Append(" --chown=").Append(chown);
        if (chmod is { Length: > 0 }) history.Append(" --chmod=").Append(chmod);
        foreach (var p in written) history.Append(' ').Append(p);
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
        switch (ctx.Named.Find(copy.From))
        {
            case { Context: LocalNamedContext } local: return ctx.Named.LocalVertex(local.Name, ctx.Request.NoCache);
            case { Context: ImageNamedContext image }: return ctx.NewVertex(state, new ImageOp(image.Reference, platform), "[internal] load build context " + copy.From);
        }
        return ctx.NewVertex(state, new ImageOp(copy.From, platform), "[internal] load image " + copy.From);
    }

    private static void CheckCopySources(CopyInstruction copy, List<string> paths, ConversionContext ctx)
    {
        foreach (var path in paths)
        {
            if (AddSources.IsGit(path)) throw ctx.Error(copy, "source can't be a git ref for COPY", "use ADD for a git repository", path);
            if (AddSources.IsUrl(path)) throw ctx.Error(copy, "source can't be a URL for COPY", "use ADD for a URL", path);
        }
    }

    private static void CheckAddSources(CopyInstruction copy, List<string> paths, List<string> urls, List<string> repositories, string? checksum,
        ConversionContext ctx)
    {
        if (checksum is not null)
        {
            if (paths.Count > 0 || repositories.Count > 0 || urls.Count == 0)
                throw ctx.Error(copy, "checksum can't be specified for non-HTTP(S) sources", "--checksum is for ADD of a URL", "--checksum");
            if (!Oci.Model.Digest.TryParse(checksum, out var digest) || digest.Algorithm != "sha256")
                throw ctx.Error(copy, $"invalid checksum digest format: {checksum}", "write --checksum=sha256:<64 lowercase hex digits>", "--checksum");
        }
        if (copy.KeepGitDir is not null && (repositories.Count == 0 || paths.Count > 0 || urls.Count > 0))
            throw ctx.Error(copy, "--keep-git-dir is only valid for git sources", near: "--keep-git-dir");
        foreach (var repository in repositories)
        {
            var address = AddSources.ParseGit(repository);
            if (address.Subdirectory.Split('/').Contains(".."))
                throw ctx.Error(copy, $"git subdirectory '{address.Subdirectory}' may not contain '..'", near: repository);
        }
    }

    /// <summary>An octal mode (0755) or a symbolic one (u+x,g-w); exactly one of the two is returned.</summary>
    private static (int? Mode, SymbolicMode? Change) ParseMode(CopyInstruction copy, string chmod, ConversionContext ctx)
    {
        if (chmod.Length is > 0 and <= 6 && chmod.All(c => c is >= '0' and <= '7'))
        {
            var mode = Convert.ToInt32(chmod, 8);
            if (mode <= 0b111_111_111_111) return (mode, null);
        }
        if (chmod.Length > 0 && !chmod.All(char.IsAsciiDigit))
        {
            if (SymbolicMode.TryParse(chmod, out var error) is { } symbolic) return (null, symbolic);
            throw ctx.Error(copy, $"invalid chmod parameter: '{chmod}': {error}", "use an octal mode (0755) or a symbolic one such as u+x,g-w", "--chmod");
        }
        throw ctx.Error(copy, $"invalid chmod parameter: '{chmod}'. it should be octal string and between 0 and 07777", "use an octal mode such as --chmod=0755", "--chmod");
    }
}
