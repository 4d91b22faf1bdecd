using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary>
/// A typed instruction, checked but not yet expanded: variables are expanded at conversion time, with the
/// environment of the stage at that point.
/// </summary>
public abstract record Instruction(InstructionNode Node)
{
    public int Line => Node.Line;

    /// <summary>The instruction as BuildKit shows it in progress (command upper-cased, rest as written).</summary>
    public string DisplayText => Node.Command.ToUpperInvariant() + (Node.Original.Length > Node.CommandAsWritten.Length
        ? Node.Original[Node.CommandAsWritten.Length..]
        : "");
}

/// <summary>A <c>KEY=VALUE</c> pair as written (quotes kept), for ENV and LABEL.</summary>
public sealed record KeyValue(string Key, string Value);

/// <summary>An ARG declaration: a name and an optional default, as written.</summary>
public sealed record ArgDeclaration(string Name, string? DefaultValue);
