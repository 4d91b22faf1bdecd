using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>ENV k=v …</c> or the legacy <c>ENV k v</c>. Keys and values are expanded with the environment before the instruction.</summary>
public sealed record EnvInstruction(InstructionNode Node, IReadOnlyList<KeyValue> Pairs) : Instruction(Node)
{
    public static EnvInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        var pairs = KeyValues(node, fileName);
        return new EnvInstruction(node, pairs);
    }

    internal static List<KeyValue> KeyValues(InstructionNode node, string fileName)
    {
        if (node.Args.Count == 0) throw InstructionErrors.AtLeastOne(node, fileName);
        var pairs = new List<KeyValue>();
        for (var i = 0; i + 1 < node.Args.Count; i += 2)
        {
            if (node.Args[i].Length == 0)
                throw InstructionErrors.At(node, fileName, $"{node.Command.ToUpperInvariant()} names can not be blank", near: "=");
            pairs.Add(new KeyValue(node.Args[i], node.Args[i + 1]));
        }
        return pairs;
    }
}
