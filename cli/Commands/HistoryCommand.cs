using System.CommandLine;
using System.Globalization;
using Csbuild.Cache.Gc;
using Csbuild.Cli.Progress;
using Csbuild.Oci.Model;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>csbuild history NAME</c>: the steps an image was made of, newest first, as <c>docker history</c> shows them:
/// IMAGE (the image's short id on the top row, &lt;missing&gt; below, as for any image built by BuildKit), CREATED,
/// CREATED BY, SIZE (the compressed layer as stored and pushed; 0B for steps that made no layer) and COMMENT.
/// </summary>
internal static class HistoryCommand
{
    private const int CreatedByWidth = 45;

    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "Image name[:tag], digest or short id" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate CREATED BY, and show full digests" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image ids" };
        var human = new Option<bool>("--human", "-H")
        {
            Description = "Sizes and dates in human-readable form (--human=false: bytes and RFC 3339 times)",
            DefaultValueFactory = _ => true,
        };
        var command = new Command("history", "Show the history of an image") { name, noTrunc, quiet, human };
        command.SetAction((parse, ct) => CommandErrors.Run(() =>
        {
            var text = parse.GetValue(name)!;
            using var root = CommonOptions.OpenRoot(parse, LeaseRegistration.OnFirstLease);
            var image = LocalImageLookup.Find(root, text);
            var manifest = LocalImageLookup.ReadManifest(root, image, text);
            var config = LocalImageLookup.ReadConfig(root, manifest);
            var rows = Rows(manifest, config);
            bool full = parse.GetValue(noTrunc), isHuman = parse.GetValue(human);
            var id = full ? image.ManifestDigest.ToString() : image.ManifestDigest.Hex[..12];

            if (parse.GetValue(quiet))
            {
                for (int i = 0; i < rows.Count; i++) Console.Out.WriteLine(i == 0 ? id : "<missing>");
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new List<string[]> { new[] { "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT" } };
            for (int i = 0; i < rows.Count; i++)
            {
                var row = rows[i];
                table.Add([
                    i == 0 ? id : "<missing>",
                    row.Created is not { } created ? "N/A" : isHuman ? Ago(created) : created.ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture),
                    full ? row.CreatedBy : Truncate(row.CreatedBy),
                    isHuman ? Units.Bytes(row.Size) : row.Size.ToString(CultureInfo.InvariantCulture),
                    row.Comment,
                ]);
            }
            var widths = Enumerable.Range(0, 5).Select(c => table.Max(r => r[c].Length)).ToArray();
            foreach (var cells in table)
                Console.Out.WriteLine(string.Join("   ", cells.Select((cell, c) => c == cells.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    internal sealed record HistoryRow(DateTimeOffset? Created, string CreatedBy, long Size, string Comment);

    /// <summary>
    /// The config's history, newest first, each non-empty entry paired with the next layer of the manifest. An image
    /// without history (or with history that does not match its layers) is shown one row per layer instead.
    /// </summary>
    internal static List<HistoryRow> Rows(ImageManifest manifest, ImageConfig config)
    {
        var rows = new List<HistoryRow>();
        int layersInHistory = config.History.Count(h => h.EmptyLayer != true);
        if (config.History.Count > 0 && layersInHistory == manifest.Layers.Count)
        {
            int layer = 0;
            foreach (var entry in config.History)
            {
                long size = entry.EmptyLayer == true ? 0 : manifest.Layers[layer++].Size;
                rows.Add(new HistoryRow(entry.Created, OneLine(entry.CreatedBy ?? ""), size, OneLine(entry.Comment ?? "")));
            }
        }
        else
        {
            foreach (var layer in manifest.Layers)
                rows.Add(new HistoryRow(config.Created, "", layer.Size, ""));
        }
        rows.Reverse();
        return rows;
    }

    // docker history shows a heredoc RUN on one line; so do we, or the table falls apart.
    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static string Truncate(string text) => text.Length <= CreatedByWidth ? text : text[..(CreatedByWidth - 1)] + "…";

    /// <summary>Docker's HumanDuration wording ("About an hour ago", "3 days ago").</summary>
    internal static string Ago(DateTimeOffset time)
    {
        var age = DateTimeOffset.UtcNow - time;
        if (age < TimeSpan.Zero) return "In the future";
        var seconds = (int)age.TotalSeconds;
        var minutes = (int)age.TotalMinutes;
        var hours = (int)Math.Round(age.TotalHours);
        var text = seconds switch
        {
            < 1 => "Less than a second",
            1 => "1 second",
            < 60 => $"{seconds} seconds",
            _ when minutes == 1 => "About a minute",
            _ when minutes < 60 => $"{minutes} minutes",
            _ when hours == 1 => "About an hour",
            _ when hours < 48 => $"{hours} hours",
            _ when hours < 24 * 7 * 2 => $"{hours / 24} days",
            _ when hours < 24 * 30 * 2 => $"{hours / 24 / 7} weeks",
            _ when hours < 24 * 365 * 2 => $"{hours / 24 / 30} months",
            _ => $"{hours / 24 / 365} years",
        };
        return text + " ago";
    }
}
