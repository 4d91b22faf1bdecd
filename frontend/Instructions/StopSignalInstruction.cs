using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>STOPSIGNAL signal</c>: a name (<c>SIGTERM</c>, <c>TERM</c>) or a number; checked after expansion.</summary>
public sealed record StopSignalInstruction(InstructionNode Node, string Signal) : Instruction(Node)
{
    public static StopSignalInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (node.Args.Count != 1) throw InstructionErrors.ExactlyOne(node, fileName);
        return new StopSignalInstruction(node, node.Args[0]);
    }
}
