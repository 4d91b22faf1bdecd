using System.Text.RegularExpressions;
using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>FROM [--platform=P] image [AS name]</c>. The stage name is lower-cased, as BuildKit does.</summary>
public sealed partial record FromInstruction(InstructionNode Node, string BaseName, string? StageName, string? StageNameAsWritten, string? Platform)
    : Instruction(Node)
{
    [GeneratedRegex("^[a-z][a-z0-9-_.]*$")]
    private static partial Regex ValidStageName();

    public static FromInstruction Parse(InstructionNode node, string fileName)
    {
        var flags = InstructionFlags.Parse(node, fileName, ("platform", FlagKind.String));
        var args = node.Args;
        string? name = null, written = null;
        if (args.Count == 3 && args[1].Equals("as", StringComparison.OrdinalIgnoreCase))
        {
            written = args[2];
            name = written.ToLowerInvariant();
            if (!ValidStageName().IsMatch(name))
                throw InstructionErrors.At(node, fileName,
                    $"invalid name for build stage: \"{written}\", name can't start with a number or contain symbols",
                    "stage names start with a letter and contain only letters, digits, '-', '_' and '.'", written);
        }
        else if (args.Count != 1)
        {
            throw InstructionErrors.At(node, fileName, "FROM requires either one or three arguments", "write FROM image or FROM image AS name");
        }
        return new FromInstruction(node, args[0], name, written, flags.String("platform"));
    }
}
