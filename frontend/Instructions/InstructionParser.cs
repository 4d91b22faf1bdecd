using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary>A build stage: its FROM and the instructions up to the next FROM.</summary>
public sealed record Stage(int Index, FromInstruction From, IReadOnlyList<Instruction> Commands)
{
    public string? Name => From.StageName;
}

/// <summary>The typed Dockerfile: global ARGs (before the first FROM) and the stages.</summary>
public sealed record DockerfileModel(DockerfileSyntax Syntax, IReadOnlyList<ArgInstruction> GlobalArgs, IReadOnlyList<Stage> Stages);

/// <summary>Turns syntax nodes into typed instructions and groups them into stages, checking what BuildKit checks.</summary>
public static class InstructionParser
{
    public static Instruction ParseOne(InstructionNode node, string fileName) => node.Command switch
    {
        "from" => FromInstruction.Parse(node, fileName),
        "run" => RunInstruction.Parse(node, fileName),
        "cmd" => CmdInstruction.Parse(node, fileName),
        "entrypoint" => EntrypointInstruction.Parse(node, fileName),
        "shell" => ShellInstruction.Parse(node, fileName),
        "env" => EnvInstruction.Parse(node, fileName),
        "label" => LabelInstruction.Parse(node, fileName),
        "arg" => ArgInstruction.Parse(node, fileName),
        "copy" or "add" => CopyInstruction.Parse(node, fileName),
        "workdir" => WorkdirInstruction.Parse(node, fileName),
        "user" => UserInstruction.Parse(node, fileName),
        "maintainer" => MaintainerInstruction.Parse(node, fileName),
        "stopsignal" => StopSignalInstruction.Parse(node, fileName),
        "expose" => ExposeInstruction.Parse(node, fileName),
        "volume" => VolumeInstruction.Parse(node, fileName),
        "onbuild" => OnbuildInstruction.Parse(node, fileName),
        "healthcheck" => HealthcheckInstruction.Parse(node, fileName),
        _ => throw InstructionErrors.At(node, fileName, $"unknown instruction: {node.CommandAsWritten}"),
    };

    public static DockerfileModel Parse(DockerfileSyntax syntax)
    {
        var fileName = syntax.FileName;
        var globalArgs = new List<ArgInstruction>();
        var stages = new List<Stage>();
        FromInstruction? from = null;
        var commands = new List<Instruction>();
        foreach (var node in syntax.Instructions)
        {
            var instruction = ParseOne(node, fileName);
            switch (instruction)
            {
                case FromInstruction f:
                    if (from is not null) stages.Add(new Stage(stages.Count, from, commands));
                    from = f;
                    commands = [];
                    break;
                case ArgInstruction a when from is null:
                    globalArgs.Add(a);
                    break;
                case var _ when from is null:
                    throw InstructionErrors.At(node, fileName, "no build stage in current context",
                        $"only ARG may come before the first FROM; {node.Command.ToUpperInvariant()} must follow a FROM");
                default:
                    commands.Add(instruction);
                    break;
            }
        }
        if (from is null)
        {
            var last = syntax.Instructions[^1];
            throw new DockerfileParseException(fileName, last.Line, 1, "no build stage in current context", "add a FROM instruction");
        }
        stages.Add(new Stage(stages.Count, from, commands));
        return new DockerfileModel(syntax, globalArgs, stages);
    }
}
