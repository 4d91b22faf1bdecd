using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>EXPOSE port[/proto] …</c>: ports the container listens on; checked after expansion.</summary>
public sealed record ExposeInstruction(InstructionNode Node, IReadOnlyList<string> Ports) : Instruction(Node)
{
    public static ExposeInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (node.Args.Count == 0) throw InstructionErrors.AtLeastOne(node, fileName);
        return new ExposeInstruction(node, node.Args);
    }
}
