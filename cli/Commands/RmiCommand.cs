using System.CommandLine;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>csbuild rmi NAME...</c>: removes names from the local store, as <c>docker rmi</c> prints it ("Untagged: …").
/// Only the names go: layers, blobs and cache records stay, because the build cache and other images may share
/// them; <c>csbuild prune</c> (garbage collection) frees what nothing refers to any more.
/// </summary>
internal static class RmiCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("NAME") { Description = "Image name[:tag], digest or short id", Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "Given a digest or id that several names point at, remove all of those names" };
        var command = new Command("rmi", "Remove image names from the local store (content stays until garbage collection)") { names, force };
        command.SetAction((parse, ct) => CommandErrors.Run(() =>
        {
            using var root = CommonOptions.OpenRoot(parse);
            int exit = ExitCodes.Ok;
            foreach (var text in parse.GetValue(names)!)
            {
                try
                {
                    foreach (var name in NamesToRemove(root, text, parse.GetValue(force)))
                        if (root.Images.Remove(name)) Console.Out.WriteLine($"Untagged: {name}");
                }
                catch (CliException e)
                {
                    // Like docker rmi: report each failing name, carry on with the others, fail at the end.
                    Console.Error.WriteLine("error: " + e.Message);
                    exit = Math.Max(exit, e.ExitCode);
                }
            }
            return Task.FromResult(exit);
        }));
        return command;
    }

    private static IReadOnlyList<string> NamesToRemove(Cache.CsbuildRoot root, string text, bool force)
    {
        var image = LocalImageLookup.Find(root, text);
        if (image.Name is not null && !LooksLikeId(text, image)) return [image.Name];
        var all = LocalImageLookup.NamesOf(root, image.ManifestDigest);
        if (all.Count > 1 && !force)
            throw new CliException($"conflict: unable to delete {text} (must be forced): the image is referenced by {all.Count} names: {string.Join(", ", all)}", ExitCodes.BuildFailed);
        return all;
    }

    private static bool LooksLikeId(string text, LocalImage image) =>
        text.StartsWith("sha256:", StringComparison.Ordinal) || image.ManifestDigest.Hex.StartsWith(text, StringComparison.Ordinal);
}
