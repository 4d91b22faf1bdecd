using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>LABEL k=v …</c> (or legacy <c>LABEL k v</c>): image metadata.</summary>
public sealed record LabelInstruction(InstructionNode Node, IReadOnlyList<KeyValue> Pairs) : Instruction(Node)
{
    public static LabelInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        return new LabelInstruction(node, EnvInstruction.KeyValues(node, fileName));
    }
}
