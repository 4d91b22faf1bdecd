using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>SHELL ["executable", "parameters"]</c>: only the exec form is allowed.</summary>
public sealed record ShellInstruction(InstructionNode Node, IReadOnlyList<string> Shell) : Instruction(Node)
{
    public static ShellInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (!node.Json)
            throw InstructionErrors.At(node, fileName, "SHELL requires the arguments to be in JSON form", "write SHELL [\"/bin/bash\", \"-c\"]");
        if (node.Args.Count == 0) throw InstructionErrors.AtLeastOne(node, fileName);
        return new ShellInstruction(node, node.Args);
    }
}
