using System.CommandLine;
using System.Reflection;

namespace Csbuild.Cli.Commands;

internal static class VersionCommand
{
    public static string Version =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static Command Create()
    {
        var command = new Command("version", "Print the csbuild version");
        command.SetAction(_ =>
        {
            Console.Out.WriteLine($"csbuild {Version} (.NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()})");
            return ExitCodes.Ok;
        });
        return command;
    }
}
