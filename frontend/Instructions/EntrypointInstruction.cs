using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>ENTRYPOINT</c>, exec form or shell form (wrapped in the stage's SHELL).</summary>
public sealed record EntrypointInstruction(InstructionNode Node, IReadOnlyList<string> Command, bool PrependShell) : Instruction(Node)
{
    public static EntrypointInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (node.Args.Count == 0 && !node.Json) throw InstructionErrors.AtLeastOne(node, fileName);
        return new EntrypointInstruction(node, node.Args, !node.Json);
    }
}
