using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>VOLUME /a /b</c> or <c>VOLUME ["/a"]</c>: mount points recorded in the image config.</summary>
public sealed record VolumeInstruction(InstructionNode Node, IReadOnlyList<string> Volumes) : Instruction(Node)
{
    public static VolumeInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (node.Args.Count == 0) throw InstructionErrors.AtLeastOne(node, fileName);
        return new VolumeInstruction(node, node.Args);
    }
}
