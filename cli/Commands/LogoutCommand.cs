using System.CommandLine;
using Csbuild.Cli.Config;
using Csbuild.Oci.Registry.Credentials;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild logout REGISTRY</c>: removes the registry's <c>auths</c> entries from the docker CLI's config.json.</summary>
internal static class LogoutCommand
{
    public static Command Create()
    {
        var registry = new Argument<string>("REGISTRY") { Description = "Registry host[:port] (docker.io for Docker Hub)" };
        var command = new Command("logout", "Log out from a registry (removes its credentials from ~/.docker/config.json)") { registry };
        command.SetAction((parse, ct) => CommandErrors.Run(() =>
        {
            var host = DockerConfigCredentialProvider.NormalizeRegistry(parse.GetValue(registry)!);
            if (host.Length == 0) throw new CliException("logout needs a registry host, e.g. 'csbuild logout localhost:5000'");
            var authFile = new DockerAuthFile();
            // Like docker logout: not being logged in is not an error.
            Console.Out.WriteLine(authFile.Remove(host)
                ? $"Removing login credentials for {host}"
                : $"Not logged in to {host}");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
