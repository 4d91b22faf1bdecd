using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>USER user[:group]</c>.</summary>
public sealed record UserInstruction(InstructionNode Node, string User) : Instruction(Node)
{
    public static UserInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (node.Args.Count != 1) throw InstructionErrors.ExactlyOne(node, fileName);
        return new UserInstruction(node, node.Args[0]);
    }
}
