using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>RUN [--mount=…] [--network=…] [--security=…] command</c>, in shell or exec form, or with a here-document script.</summary>
public sealed record RunInstruction(InstructionNode Node, IReadOnlyList<string> Command, bool PrependShell,
    IReadOnlyList<string> Mounts, string? Network, string? Security) : Instruction(Node)
{
    public static RunInstruction Parse(InstructionNode node, string fileName)
    {
        var flags = InstructionFlags.Parse(node, fileName,
            ("mount", FlagKind.List), ("network", FlagKind.String), ("security", FlagKind.String));
        if (node.Args.Count == 0 && !node.Json) throw InstructionErrors.AtLeastOne(node, fileName);
        return new RunInstruction(node, node.Args, !node.Json, flags.List("mount"), flags.String("network"), flags.String("security"));
    }
}
