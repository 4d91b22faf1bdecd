using System.CommandLine;
using Csbuild.Cache.Gc;
using Csbuild.Oci.Layout;
using Csbuild.Solver.Export;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild save [-o FILE] NAME...</c>: images of the local store as a docker archive, as <c>docker save</c>.</summary>
internal static class SaveCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("NAME") { Description = "Images in the local store (name[:tag])", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "Write to a file instead of standard output" };
        var format = new Option<string>("--format") { Description = "Archive format: docker (manifest.json and an OCI layout, default) or oci", DefaultValueFactory = _ => "docker" };
        var command = new Command("save", "Save one or more images to a tar archive (docker archive, as docker save)") { names, output, format };
        command.SetAction((parse, ct) => CommandErrors.Run(async () =>
        {
            var kind = parse.GetValue(format) switch
            {
                "docker" => ImageArchiveKind.Docker,
                "oci" => ImageArchiveKind.Oci,
                var other => throw new CliException($"unknown --format '{other}': expected docker or oci"),
            };
            var path = parse.GetValue(output);
            if (path is null && !Console.IsOutputRedirected)
                throw new CliException("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            using var root = CommonOptions.OpenRoot(parse, LeaseRegistration.OnFirstLease);
            var images = parse.GetValue(names)!;
            if (path is null or "-")
            {
                await using var stdout = new BufferedStream(Console.OpenStandardOutput(), 1 << 20);
                await Task.Run(() => ImageArchives.Save(root, images, stdout, kind), ct);
                await stdout.FlushAsync(ct);
                return ExitCodes.Ok;
            }
            var full = Path.GetFullPath(path);
            var temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp-" + Environment.ProcessId);
            try
            {
                await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    await Task.Run(() => ImageArchives.Save(root, images, file, kind), ct);
                    file.Flush(flushToDisk: true);
                }
                File.Move(temp, full, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
