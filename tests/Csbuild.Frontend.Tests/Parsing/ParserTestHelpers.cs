using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Tests.Parsing;

internal static class P
{
    public static DockerfileSyntax Parse(string text) => DockerfileParser.Parse(text.Replace("\r\n", "\n"));

    /// <summary>The single instruction after a leading FROM.</summary>
    public static InstructionNode Second(string instructionLine) => Parse("FROM scratch\n" + instructionLine + "\n").Instructions[1];

    public static DockerfileParseException Error(string text) => Assert.Throws<DockerfileParseException>(() => DockerfileParser.Parse(text));
}
