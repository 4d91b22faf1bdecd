using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

internal static class InstructionErrors
{
    public static DockerfileParseException At(InstructionNode node, string fileName, string message, string? hint = null, string? near = null)
    {
        var (line, column) = near is null ? node.PositionOf(0) : node.PositionOf(near);
        return new DockerfileParseException(fileName, line, column, message, hint, DockerfileParser.Truncate(node.Original));
    }

    public static DockerfileParseException AtLeastOne(InstructionNode node, string fileName) =>
        At(node, fileName, $"{node.Command.ToUpperInvariant()} requires at least one argument");

    public static DockerfileParseException ExactlyOne(InstructionNode node, string fileName) =>
        At(node, fileName, $"{node.Command.ToUpperInvariant()} requires exactly one argument");

    public static void NoFlags(InstructionNode node, string fileName) => InstructionFlags.Parse(node, fileName);
}
