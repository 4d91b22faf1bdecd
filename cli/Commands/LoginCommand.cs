using System.CommandLine;
using System.Text;
using Csbuild.Cli.Config;
using Csbuild.Oci.Registry;
using Csbuild.Oci.Registry.Credentials;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>csbuild login [-u USER] [--password-stdin] REGISTRY</c>: checks the credentials against the registry, then stores
/// them in the docker CLI's config.json (<c>auths</c>, base64 "user:password"), where pull, push and build find them
/// (and docker, skopeo and buildx too). The password is never printed.
/// </summary>
internal static class LoginCommand
{
    public static Command Create()
    {
        var registry = new Argument<string>("REGISTRY") { Description = "Registry host[:port] (docker.io for Docker Hub)" };
        var username = new Option<string?>("--username", "-u") { Description = "User name (asked for on the terminal when missing)" };
        var password = new Option<string?>("--password", "-p") { Description = "Password or token (insecure: it ends up in the shell history; prefer --password-stdin)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password or token from standard input" };
        var insecure = RegistryCommandSupport.InsecureRegistryOption();
        var command = new Command("login", "Log in to a registry (stores the credentials in ~/.docker/config.json)")
        {
            registry, username, password, passwordStdin, insecure,
        };
        command.SetAction((parse, ct) => CommandErrors.Run(async () =>
        {
            var server = parse.GetValue(registry)!;
            var host = DockerConfigCredentialProvider.NormalizeRegistry(server);
            if (host.Length == 0) throw new CliException("login needs a registry host, e.g. 'csbuild login -u me localhost:5000'");
            var authFile = new DockerAuthFile();
            if (authFile.HelperFor(host) is { } helper)
                throw new CliException($"{authFile.Path} hands the credentials of {host} to the credential helper 'docker-credential-{helper}'; " +
                    "csbuild login only writes plain 'auths' entries: store them with that helper, or remove credsStore/credHelpers from the file", ExitCodes.Infrastructure);

            var (user, secret) = ReadCredentials(parse.GetValue(username), parse.GetValue(password), parse.GetValue(passwordStdin));
            var registryHost = host == "index.docker.io" ? "docker.io" : host;
            var options = new RegistryOptions
            {
                Credentials = new StaticCredentialProvider(new RegistryCredential(user, secret), registryHost),
                InsecureRegistries = [.. parse.GetValue(insecure) ?? [], .. CsbuildConfig.Load().InsecureRegistries],
            };
            using (var client = new RegistryClient(options))
            {
                try
                {
                    await client.VerifyCredentialsAsync(registryHost, ct);
                }
                catch (RegistryException e) when (e.IsUnauthorized)
                {
                    throw new CliException($"login to {host} failed: the registry refused the credentials of user '{user}'", ExitCodes.BuildFailed);
                }
            }

            authFile.Store(host, user, secret);
            Console.Error.WriteLine($"WARNING! Your password will be stored unencrypted in {authFile.Path}.");
            Console.Out.WriteLine("Login Succeeded");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static (string User, string Secret) ReadCredentials(string? user, string? password, bool fromStdin)
    {
        if (fromStdin && password is not null) throw new CliException("--password and --password-stdin are mutually exclusive");
        if (fromStdin && string.IsNullOrEmpty(user)) throw new CliException("--password-stdin needs --username (standard input holds the password)");
        if (password is not null) Console.Error.WriteLine("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        if (fromStdin)
        {
            password = Console.In.ReadToEnd().TrimEnd('\n', '\r');
        }
        else if (string.IsNullOrEmpty(user) || password is null)
        {
            if (Console.IsInputRedirected)
                throw new CliException("cannot ask for credentials: standard input is not a terminal (use --username and --password-stdin)");
            if (string.IsNullOrEmpty(user))
            {
                Console.Error.Write("Username: ");
                user = Console.ReadLine()?.Trim();
            }
            password ??= ReadHidden("Password: ");
        }
        if (string.IsNullOrEmpty(user)) throw new CliException("a user name is required");
        if (string.IsNullOrEmpty(password)) throw new CliException("a password (or token) is required");
        return (user, password);
    }

    /// <summary>Reads a line from the terminal without echoing it.</summary>
    private static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; continue; }
            if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }
}
