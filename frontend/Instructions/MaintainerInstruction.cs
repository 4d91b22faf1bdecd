using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>MAINTAINER name</c> (deprecated): sets the image author.</summary>
public sealed record MaintainerInstruction(InstructionNode Node, string Maintainer) : Instruction(Node)
{
    public static MaintainerInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (node.Args.Count != 1) throw InstructionErrors.ExactlyOne(node, fileName);
        return new MaintainerInstruction(node, node.Args[0]);
    }
}
