using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary><c>ARG name[=default] …</c>: a build argument declared for the global scope or a stage.</summary>
public sealed record ArgInstruction(InstructionNode Node, IReadOnlyList<ArgDeclaration> Args) : Instruction(Node)
{
    public static ArgInstruction Parse(InstructionNode node, string fileName)
    {
        InstructionErrors.NoFlags(node, fileName);
        if (node.Args.Count == 0) throw InstructionErrors.AtLeastOne(node, fileName);
        var args = new List<ArgDeclaration>();
        foreach (var word in node.Args)
        {
            var eq = word.IndexOf('=');
            if (eq == 0) throw InstructionErrors.At(node, fileName, "ARG names can not be blank", near: word);
            args.Add(eq < 0 ? new ArgDeclaration(word, null) : new ArgDeclaration(word[..eq], word[(eq + 1)..]));
        }
        return new ArgInstruction(node, args);
    }
}
