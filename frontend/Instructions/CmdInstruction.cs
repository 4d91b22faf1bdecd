using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>CMD</c>: the default command, exec form or shell form (wrapped in the stage's SHELL).</summary>
public sealed record CmdInstruction(InstructionNode Node, IReadOnlyList<string> Command, bool PrependShell) : Instruction(Node)
{
    public static CmdInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (node.Args.Count == 0 && !node.Json) throw InstructionErrors.AtLeastOne(node, fileName);
        return new CmdInstruction(node, node.Args, !node.Json);
    }
}
