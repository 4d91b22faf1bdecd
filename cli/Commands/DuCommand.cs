using System.CommandLine;
using System.Text.Json;
using Csbuild.Cache.Gc;
using Csbuild.Cli.Progress;

namespace Csbuild.Cli.Commands;

/// <summary><c>csbuild du</c>: disk use of the root by kind, and what <c>csbuild prune --all</c> would reclaim.</summary>
internal static class DuCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "Output format: table (default) or json", DefaultValueFactory = _ => "table" };
        var command = new Command("du", "Show disk usage of the build cache and image store") { format };
        command.SetAction((parse, ct) => CommandErrors.Run(() =>
        {
            var outputFormat = parse.GetValue(format);
            if (outputFormat is not ("table" or "json")) throw new CliException($"invalid --format '{outputFormat}': expected table or json");
            using var root = CommonOptions.OpenRoot(parse, LeaseRegistration.OnFirstLease);
            var usage = CacheGc.Usage(root);
            if (outputFormat == "json") WriteJson(usage);
            else WriteTable(usage);
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static void WriteTable(CacheUsage u)
    {
        string[][] rows =
        [
            ["KIND", "COUNT", "SIZE", "RECLAIMABLE"],
            ["snapshots", u.Snapshots.ToString(), Units.Bytes(u.SnapshotBytes), Units.Bytes(u.ReclaimableSnapshotBytes)],
            ["blobs", u.Blobs.ToString(), Units.Bytes(u.BlobBytes), Units.Bytes(u.ReclaimableBlobBytes)],
            ["cache records", u.Records.ToString(), Units.Bytes(u.DatabaseBytes), $"{u.ReclaimableRecords} records"],
            ["cache mounts", u.CacheMounts.ToString(), Units.Bytes(u.CacheMountBytes), Units.Bytes(u.ReclaimableCacheMountBytes)],
        ];
        var widths = Enumerable.Range(0, 4).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            Console.Out.WriteLine(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
        Console.Out.WriteLine($"Total:\t\t{Units.Bytes(u.TotalBytes)}");
        Console.Out.WriteLine($"Reclaimable:\t{Units.Bytes(u.ReclaimableBytes)}");
    }

    private static void WriteJson(CacheUsage u)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("snapshots", u.Snapshots);
            json.WriteNumber("snapshotBytes", u.SnapshotBytes);
            json.WriteNumber("blobs", u.Blobs);
            json.WriteNumber("blobBytes", u.BlobBytes);
            json.WriteNumber("records", u.Records);
            json.WriteNumber("layers", u.Layers);
            json.WriteNumber("databaseBytes", u.DatabaseBytes);
            json.WriteNumber("cacheMounts", u.CacheMounts);
            json.WriteNumber("cacheMountBytes", u.CacheMountBytes);
            json.WriteNumber("reclaimableCacheMountBytes", u.ReclaimableCacheMountBytes);
            json.WriteNumber("totalBytes", u.TotalBytes);
            json.WriteNumber("reclaimableSnapshotBytes", u.ReclaimableSnapshotBytes);
            json.WriteNumber("reclaimableBlobBytes", u.ReclaimableBlobBytes);
            json.WriteNumber("reclaimableRecords", u.ReclaimableRecords);
            json.WriteNumber("reclaimableBytes", u.ReclaimableBytes);
            json.WriteEndObject();
        }
        stdout.Write("\n"u8);
    }
}
