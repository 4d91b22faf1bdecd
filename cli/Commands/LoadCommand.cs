using System.CommandLine;
using Csbuild.Solver.Export;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild load [-i FILE]</c>: a docker archive or OCI archive into the local store, as <c>docker load</c>.</summary>
internal static class LoadCommand
{
    public static Command Create()
    {
        var input = new Option<string?>("--input", "-i") { Description = "Read from a tar archive file instead of standard input" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the load output" };
        var command = new Command("load", "Load images from a tar archive (docker save, docker/oci build outputs, skopeo archives)") { input, quiet };
        command.SetAction((parse, ct) => CommandErrors.Run(async () =>
        {
            var path = parse.GetValue(input);
            if (path is not null && path != "-" && !File.Exists(path))
                throw new CliException($"open {path}: no such file or directory", ExitCodes.BuildFailed);
            if (path is null && !Console.IsInputRedirected)
                throw new CliException("requested load from stdin, but stdin is empty (use -i FILE or redirect)");
            using var root = CommonOptions.OpenRoot(parse);
            await using var stream = path is null or "-" ? Console.OpenStandardInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            var loaded = await Task.Run(() => ImageArchives.Load(root, stream), ct);
            if (loaded.Count == 0) throw new CliException("the archive holds no images", ExitCodes.BuildFailed);
            if (parse.GetValue(quiet)) return ExitCodes.Ok;
            foreach (var image in loaded)
            {
                if (image.Names.Count == 0) Console.Out.WriteLine($"Loaded image ID: {image.Descriptor.Digest}");
                foreach (var name in image.Names) Console.Out.WriteLine($"Loaded image: {name}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
