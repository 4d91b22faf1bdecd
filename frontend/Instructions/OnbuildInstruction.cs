using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>ONBUILD instruction</c>: a trigger stored in the image config, run when the image is used as a base.</summary>
public sealed record OnbuildInstruction(InstructionNode Node, string Expression) : Instruction(Node)
{
    public static OnbuildInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (node.Next is null) throw InstructionErrors.AtLeastOne(node, fileName);
        var trigger = node.Next.Command;
        if (trigger is "onbuild")
            throw InstructionErrors.At(node, fileName, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (trigger is "from" or "maintainer")
            throw InstructionErrors.At(node, fileName, $"{trigger.ToUpperInvariant()} isn't allowed as an ONBUILD trigger");
        // The trigger is stored as written, so it is parsed again (with its own flags) when it fires.
        InstructionParser.ParseOne(node.Next, fileName);
        return new OnbuildInstruction(node, node.Args[0]);
    }
}
