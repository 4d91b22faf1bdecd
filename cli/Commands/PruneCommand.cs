using System.CommandLine;
using Csbuild.Cache.Gc;
using Csbuild.Cli.Progress;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>csbuild prune [--all] [--keep-storage SIZE] [--filter until=24h]</c>, as <c>docker builder prune</c>:
/// removes build cache (least recently used first) and whatever nothing references any more. Tagged images
/// and what running builds use are always kept.
/// </summary>
internal static class PruneCommand
{
    public static Command Create()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Also remove unpacked snapshots of image layers (unpacked again when needed) and RUN --mount=type=cache directories (only while no other build runs)" };
        var keepStorage = new Option<string?>("--keep-storage") { Description = "Stop once the cache takes at most this much space (e.g. 10GB); least recently used goes first" };
        var filters = new Option<string[]>("--filter") { Description = "Only prune cache matching the filter: until=DURATION (not used within it, e.g. 24h)", AllowMultipleArgumentsPerToken = false };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation (csbuild never prompts; accepted for docker compatibility)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be removed without removing it" };
        var command = new Command("prune", "Remove build cache") { all, keepStorage, filters, force, dryRun };
        command.SetAction((parse, ct) => CommandErrors.Run(() =>
        {
            var options = new PruneOptions
            {
                All = parse.GetValue(all),
                KeepBytes = parse.GetValue(keepStorage) is { } keep ? ParseSize(keep) : null,
                Until = ParseFilters(parse.GetValue(filters) ?? []),
                DryRun = parse.GetValue(dryRun),
            };
            using var root = CommonOptions.OpenRoot(parse);
            var result = CacheGc.Prune(root, options);
            var verb = options.DryRun ? "Would remove" : "Removed";
            Console.Out.WriteLine($"{verb} {result.Records} cache records, {result.Layers} layers, {result.Snapshots} snapshots, {result.Blobs} blobs, {result.CacheMounts} cache mounts");
            Console.Out.WriteLine($"Total reclaimed space: {Units.Bytes(result.ReclaimedBytes)}");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static long ParseSize(string text)
    {
        try { return ByteSize.Parse(text); }
        catch (FormatException e) { throw new CliException("--keep-storage: " + e.Message); }
    }

    internal static TimeSpan? ParseFilters(IEnumerable<string> filters)
    {
        TimeSpan? until = null;
        foreach (var filter in filters)
        {
            var eq = filter.IndexOf('=');
            var (name, value) = eq < 0 ? (filter, "") : (filter[..eq].Trim(), filter[(eq + 1)..].Trim());
            if (name != "until")
                throw new CliException($"invalid --filter '{filter}': the supported filter is until=DURATION (e.g. until=24h)");
            try { until = GoDuration.Parse(value); }
            catch (FormatException e) { throw new CliException($"invalid --filter '{filter}': {e.Message}"); }
        }
        return until;
    }
}
