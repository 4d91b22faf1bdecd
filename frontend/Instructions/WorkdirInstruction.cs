using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>WORKDIR path</c>: relative paths are joined to the previous working directory.</summary>
public sealed record WorkdirInstruction(InstructionNode Node, string Path) : Instruction(Node)
{
    public static WorkdirInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (node.Args.Count != 1) throw InstructionErrors.ExactlyOne(node, fileName);
        return new WorkdirInstruction(node, node.Args[0]);
    }
}
