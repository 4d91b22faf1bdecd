using System.CommandLine;
using Csbuild.Solver.Import;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild import FILE|- NAME[:TAG]</c>: a root filesystem tarball becomes a one-layer image.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "Tarball of a root filesystem (plain, gzip or zstd), or - for stdin" };
        var name = new Argument<string>("NAME") { Description = "Image name and optional tag (name:tag)" };
        var command = new Command("import", "Create an image from a root filesystem tarball (as docker import; SOURCE_DATE_EPOCH sets its created time)") { file, name };
        command.SetAction((parse, ct) => CommandErrors.Run(() =>
        {
            var path = parse.GetValue(file)!;
            var image = parse.GetValue(name)!;
            try { Cache.Images.ImageName.Normalize(image); }
            catch (FormatException e) { throw new CliException(e.Message); }
            if (path != "-" && !File.Exists(path)) throw new CliException($"open {path}: no such file or directory", ExitCodes.BuildFailed);
            using var root = CommonOptions.OpenRoot(parse);
            using var input = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
            var descriptor = RootfsImporter.Import(root, input, path == "-" ? "stdin" : path, image, SourceDateEpoch());
            Console.Out.WriteLine(descriptor.Digest);
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    /// <summary>SOURCE_DATE_EPOCH fixes the image's created time, so importing the same tarball anywhere gives the same digest.</summary>
    private static DateTimeOffset? SourceDateEpoch()
    {
        var text = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        if (string.IsNullOrEmpty(text)) return null;
        return long.TryParse(text, out var seconds) && seconds >= 0
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw new CliException($"invalid SOURCE_DATE_EPOCH '{text}': expected whole seconds since 1970");
    }
}
