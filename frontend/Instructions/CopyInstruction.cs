using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary>A source of COPY/ADD: a path or pattern, or a here-document written as a file.</summary>
public sealed record CopySource(string Path, HeredocNode? Heredoc = null);

/// <summary>
/// <c>COPY</c> and <c>ADD</c>: sources, destination and their flags, unexpanded. <see cref="IsAdd"/> tells which
/// instruction it was (ADD also takes URLs, git repositories and auto-extracts local archives).
/// </summary>
public sealed record CopyInstruction(InstructionNode Node, bool IsAdd, IReadOnlyList<CopySource> Sources, string Dest,
    string? From, string? Chown, string? Chmod, bool Link, bool Parents, IReadOnlyList<string> Excludes,
    string? Checksum, bool? KeepGitDir) : Instruction(Node)
{
    public static CopyInstruction Parse(InstructionNode node, string fileName)
    {
        var isAdd = node.Command == "add";
        var flags = isAdd
            ? InstructionFlags.Parse(node, fileName, ("chown", FlagKind.String), ("chmod", FlagKind.String), ("link", FlagKind.Bool),
                ("exclude", FlagKind.List), ("checksum", FlagKind.String), ("keep-git-dir", FlagKind.Bool))
            : InstructionFlags.Parse(node, fileName, ("from", FlagKind.String), ("chown", FlagKind.String), ("chmod", FlagKind.String),
                ("link", FlagKind.Bool), ("parents", FlagKind.Bool), ("exclude", FlagKind.List));
        var verb = node.Command.ToUpperInvariant();
        if (node.Args.Count < 2)
            throw InstructionErrors.At(node, fileName, $"{verb} requires at least two arguments, but only one was provided. Destination could not be determined.",
                $"write {verb} <src>... <dest>");

        var sources = new List<CopySource>();
        var heredocIndex = 0;
        foreach (var src in node.Args.Take(node.Args.Count - 1))
        {
            // A source written as <<NAME names the next here-document (shell form only).
            if (!node.Json && HeredocMarkers.ParseWord(src) is { } marker && heredocIndex < node.Heredocs.Count)
            {
                var doc = node.Heredocs[heredocIndex++];
                sources.Add(new CopySource(marker.Name, doc));
            }
            else
            {
                sources.Add(new CopySource(src));
            }
        }
        return new CopyInstruction(node, isAdd, sources, node.Args[^1], flags.String("from"), flags.String("chown"), flags.String("chmod"),
            flags.Bool("link"), flags.Bool("parents"), flags.List("exclude"), flags.String("checksum"), flags.IsSet("keep-git-dir") ? flags.Bool("keep-git-dir") : null);
    }
}
