using System.CommandLine;
using Csbuild.Oci.Registry;
using Csbuild.Solver;
using Csbuild.Solver.Registry;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild pull [--platform P] NAME</c>: an image from its registry into the local store, as <c>docker pull</c>.</summary>
internal static class PullCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "Image reference: [registry/]repository[:tag][@digest]" };
        var platform = new Option<string?>("--platform") { Description = "Platform to pull from a multi-platform image (os/arch[/variant]; default: this machine's)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the image reference" };
        var insecure = RegistryCommandSupport.InsecureRegistryOption();
        var command = new Command("pull", "Download an image from a registry into the local store") { name, platform, quiet, insecure };
        command.SetAction((parse, ct) => CommandErrors.Run(async () =>
        {
            var reference = RegistryCommandSupport.ParseReference(parse.GetValue(name)!);
            var wanted = parse.GetValue(platform) ?? PlatformSpec.Host;
            try { PlatformSpec.Parse(wanted); }
            catch (FormatException e) { throw new CliException(e.Message); }
            bool isQuiet = parse.GetValue(quiet);

            using var root = CommonOptions.OpenRoot(parse);
            using var client = RegistryCommandSupport.CreateClient(parse, insecure);
            var before = root.Images.Find(reference.Familiar)?.ManifestDigest;
            if (!isQuiet) Console.Out.WriteLine($"{reference.Tag ?? reference.Digest?.ToString()}: Pulling from {reference.Name.Familiar}");
            var progress = isQuiet ? null : new SynchronousProgress<BlobTransfer>(t =>
            {
                var status = t.State switch
                {
                    BlobTransferState.AlreadyExists => "Already exists",
                    BlobTransferState.Completed => "Pull complete",
                    _ => null,
                };
                if (status is not null) Console.Out.WriteLine($"{t.ShortId}: {status}");
            });

            var descriptor = await RegistryCommandSupport.Call(() => ImagePuller.PullAsync(root, reference, wanted, client, progress, ct));
            if (isQuiet)
            {
                Console.Out.WriteLine(reference.Canonical);
                return ExitCodes.Ok;
            }
            Console.Out.WriteLine($"Digest: {descriptor.Digest}");
            Console.Out.WriteLine(before?.ToString() == descriptor.Digest
                ? $"Status: Image is up to date for {reference.Familiar}"
                : $"Status: Downloaded newer image for {reference.Familiar}");
            Console.Out.WriteLine(reference.Canonical);
            return ExitCodes.Ok;
        }));
        return command;
    }
}

/// <summary>What <c>pull</c> and <c>push</c> share: the registry options and how registry failures are reported.</summary>
internal static class RegistryCommandSupport
{
    public static Option<string[]> InsecureRegistryOption() => new("--insecure-registry")
    {
        Description = "Registry (host[:port]) that may be reached over plain HTTP or with an unverified certificate; repeatable",
        AllowMultipleArgumentsPerToken = false,
    };

    public static RegistryClient CreateClient(ParseResult parse, Option<string[]> insecure) =>
        CreateClient(parse.GetValue(insecure) ?? [], Config.CsbuildConfig.Load());

    /// <summary>A client with the config file's insecure registries and pull mirrors, plus the ones given on the command line.</summary>
    public static RegistryClient CreateClient(IEnumerable<string> insecure, Config.CsbuildConfig config) =>
        new(new RegistryOptions { InsecureRegistries = [.. insecure, .. config.InsecureRegistries], Mirrors = config.Mirrors });

    public static ImageReference ParseReference(string text) =>
        ImageReference.TryParse(text, out var reference, out var error) ? reference : throw new CliException($"invalid reference format \"{text}\": {error}");

    /// <summary>Runs a registry operation; its failure becomes one line: "not found"/"denied" is the user's (exit 1), the rest infrastructure (exit 3).</summary>
    public static async Task<T> Call<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (RegistryException e)
        {
            throw new CliException(e.Message, e.IsNotFound || e.IsUnauthorized ? ExitCodes.BuildFailed : ExitCodes.Infrastructure);
        }
        catch (NotSupportedException e)
        {
            throw new CliException(e.Message, ExitCodes.BuildFailed);
        }
    }
}
