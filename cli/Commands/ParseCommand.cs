using System.CommandLine;
using Csbuild.Frontend.Parsing;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild parse [-f FILE] [--format json|text]</c>: the Dockerfile's syntax tree, for tools and tests.</summary>
internal static class ParseCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--file", "-f") { Description = "The Dockerfile to parse ('-' for stdin)", DefaultValueFactory = _ => "Dockerfile" };
        var format = new Option<string>("--format") { Description = "json or text", DefaultValueFactory = _ => "json" };
        var command = new Command("parse", "Print the syntax tree of a Dockerfile") { file, format };
        command.SetAction((parse, ct) => CommandErrors.Run(async () =>
        {
            var path = parse.GetValue(file)!;
            string text;
            if (path == "-") text = await Console.In.ReadToEndAsync(ct);
            else if (!File.Exists(path)) throw new CliException($"failed to read dockerfile: open {path}: no such file or directory", ExitCodes.BuildFailed);
            else text = await File.ReadAllTextAsync(path, ct);
            var syntax = DockerfileParser.Parse(text, path == "-" ? "Dockerfile" : Path.GetFileName(path));
            var output = parse.GetValue(format) switch
            {
                "json" => DockerfileSyntaxJson.Render(syntax),
                "text" => DockerfileSyntaxJson.RenderText(syntax),
                var other => throw new CliException($"invalid --format '{other}': expected json or text"),
            };
            Console.Out.Write(output);
            if (!output.EndsWith('\n')) Console.Out.WriteLine();
            return ExitCodes.Ok;
        }));
        return command;
    }
}
