using System.CommandLine;
using Csbuild.Cli;
using Csbuild.Cli.Commands;

var root = new RootCommand("csbuild: a daemonless, BuildKit-class container image builder.\nUsage: csbuild [build] [OPTIONS] PATH");
root.Options.Add(CommonOptions.Root);
BuildCommand.Configure(root);
root.Subcommands.Add(BuildCommand.Create("build", "Build an image from a Dockerfile (the default command)."));
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(ImagesCommand.Create());
root.Subcommands.Add(PullCommand.Create());
root.Subcommands.Add(PushCommand.Create());
root.Subcommands.Add(SaveCommand.Create());
root.Subcommands.Add(LoadCommand.Create());
root.Subcommands.Add(ParseCommand.Create());
root.Subcommands.Add(VersionCommand.Create());
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(HistoryCommand.Create());
root.Subcommands.Add(TagCommand.Create());
root.Subcommands.Add(RmiCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(LoginCommand.Create());
root.Subcommands.Add(LogoutCommand.Create());
root.Subcommands.Add(ConfigCommand.Create());
root.Subcommands.Add(CompletionCommand.Create(root));
root.Subcommands.Add(HelpCommand.Create(root));
root.Subcommands.Add(DuCommand.Create());
root.Subcommands.Add(PruneCommand.Create());
root.Subcommands.Add(CheckStoreCommand.Create());

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine("error: " + error.Message);
    Console.Error.WriteLine("Run 'csbuild --help' for usage.");
    return ExitCodes.Usage;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C cancels the build cleanly (containers killed, mounts removed); a second one kills us.
    if (cancel.IsCancellationRequested) return;
    e.Cancel = true;
    cancel.Cancel();
};
return await parsed.InvokeAsync(cancellationToken: cancel.Token);
