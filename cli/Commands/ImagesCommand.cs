using System.CommandLine;
using System.Globalization;
using Csbuild.Cache.Gc;
using Csbuild.Cli.Progress;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild images</c>: the local store's images, as <c>docker images</c> lists them.</summary>
internal static class ImagesCommand
{
    public static Command Create()
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image digests" };
        var command = new Command("images", "List images in the local store") { quiet };
        command.SetAction((parse, ct) => CommandErrors.Run(() =>
        {
            using var root = CommonOptions.OpenRoot(parse, LeaseRegistration.OnFirstLease);
            var images = root.Images.List();
            if (parse.GetValue(quiet))
            {
                foreach (var image in images) Console.Out.WriteLine(image.ManifestDigest);
                return Task.FromResult(ExitCodes.Ok);
            }
            var rows = new List<string[]> { new[] { "REPOSITORY", "TAG", "DIGEST", "SIZE", "CREATED" } };
            foreach (var image in images)
            {
                var (repository, tag) = SplitName(image.Name);
                rows.Add([repository, tag, image.ManifestDigest.ToString()[..19], Units.Bytes(ImageSize(root, image)), Ago(image.Created)]);
            }
            var widths = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
            foreach (var row in rows)
                Console.Out.WriteLine(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    internal static (string Repository, string Tag) SplitName(string name)
    {
        var at = name.IndexOf('@');
        if (at >= 0) return (name[..at], "<none>");
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? (name[..colon], name[(colon + 1)..]) : (name, "latest");
    }

    // Size as docker shows it for a pulled image: the compressed layers plus the config.
    private static long ImageSize(Cache.CsbuildRoot root, Cache.Images.ImageRecord image)
    {
        try
        {
            var manifest = root.Images.ReadManifest(image.ManifestDigest);
            return manifest.Config.Size + manifest.Layers.Sum(l => l.Size);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return image.Size;
        }
    }

    private static string Ago(DateTimeOffset time)
    {
        var age = DateTimeOffset.UtcNow - time;
        if (age.TotalMinutes < 1) return "Less than a minute ago";
        if (age.TotalHours < 1) return $"{(int)age.TotalMinutes} minutes ago";
        if (age.TotalDays < 1) return $"{(int)age.TotalHours} hours ago";
        return $"{(int)age.TotalDays} days ago";
    }
}
