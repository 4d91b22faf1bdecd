using System.CommandLine;
using Csbuild.Cache.Images;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild tag SOURCE TARGET</c>: gives a local image another name, as <c>docker tag</c>. No content is copied.</summary>
internal static class TagCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("SOURCE") { Description = "Existing image: name[:tag], digest or short id" };
        var target = new Argument<string>("TARGET") { Description = "New name: [registry/]repository[:tag]" };
        var command = new Command("tag", "Create a name TARGET that refers to the image SOURCE") { source, target };
        command.SetAction((parse, ct) => CommandErrors.Run(() =>
        {
            var targetText = parse.GetValue(target)!;
            string normalized;
            try { normalized = ImageName.Normalize(targetText); }
            catch (FormatException e) { throw new CliException($"invalid reference format \"{targetText}\": {e.Message}"); }
            if (normalized.Contains('@'))
                throw new CliException($"refusing to create a tag with a digest reference: {targetText}");

            using var root = CommonOptions.OpenRoot(parse);
            var image = LocalImageLookup.Find(root, parse.GetValue(source)!);
            root.Images.Tag(normalized, image.Descriptor);
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
