using System.CommandLine;
using Csbuild.Cache.Gc;
using Csbuild.Solver.Registry;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild push NAME [DEST]</c>: an image of the local store to a registry, as <c>docker push</c>.</summary>
internal static class PushCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "Image in the local store (name[:tag])" };
        var destination = new Argument<string?>("DEST")
        {
            Description = "Where to push it: [registry/]repository[:tag] (default: NAME)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the pushed manifest digest" };
        var insecure = RegistryCommandSupport.InsecureRegistryOption();
        var command = new Command("push", "Upload an image from the local store to a registry") { name, destination, quiet, insecure };
        command.SetAction((parse, ct) => CommandErrors.Run(async () =>
        {
            var localName = parse.GetValue(name)!;
            var target = RegistryCommandSupport.ParseReference(parse.GetValue(destination) ?? localName);
            bool isQuiet = parse.GetValue(quiet);

            using var root = CommonOptions.OpenRoot(parse, LeaseRegistration.OnFirstLease);
            using var client = RegistryCommandSupport.CreateClient(parse, insecure);
            if (!isQuiet) Console.Out.WriteLine($"The push refers to repository [{target.Name}]");
            var progress = isQuiet ? null : new SynchronousProgress<BlobTransfer>(t =>
            {
                var status = t.State switch
                {
                    BlobTransferState.AlreadyExists => "Layer already exists",
                    BlobTransferState.Mounted => "Mounted from another repository",
                    BlobTransferState.Completed => "Pushed",
                    _ => null,
                };
                if (status is not null) Console.Out.WriteLine($"{t.ShortId}: {status}");
            });

            var result = await RegistryCommandSupport.Call(() => ImagePusher.PushAsync(root, localName, target, client, progress, ct));
            Console.Out.WriteLine(isQuiet
                ? result.Manifest.Digest
                : $"{target.Tag ?? target.Digest?.ToString()}: digest: {result.Manifest.Digest} size: {result.Manifest.Size}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
