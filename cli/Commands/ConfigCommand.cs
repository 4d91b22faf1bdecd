using System.CommandLine;
using System.Globalization;
using System.Text;
using Csbuild.Cli.Config;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>csbuild config show</c>: the effective configuration, written as a config file (so it can be copied into one)
/// with a comment after each value saying where it came from.
/// </summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var show = new Command("show", "Print the effective configuration and where each value came from");
        show.SetAction((parse, ct) => CommandErrors.Run(() =>
        {
            var config = CsbuildConfig.Load();
            var rootFlag = parse.GetValue(CommonOptions.Root);
            Console.Out.Write(Render(config, rootFlag));
            return Task.FromResult(ExitCodes.Ok);
        }));
        var command = new Command("config", "Show csbuild's configuration (config files, environment, defaults)") { show };
        return command;
    }

    internal static string Render(CsbuildConfig config, string? rootFlag = null)
    {
        var lines = new List<(string Text, string? Source)>();
        foreach (var (path, found) in config.Files)
            lines.Add(($"# config file {path}: {(found ? "read" : "not found")}", null));
        var root = rootFlag is null ? config.Root : new ConfigValue<string>(rootFlag, "--root");
        lines.Add(($"root = {Quote(root.Value)}", root.Source));
        lines.Add(($"runtime = {Quote(config.Runtime.Value)}", config.Runtime.Source));
        lines.Add(("", null));
        lines.Add(("[gc]", null));
        if (config.GcKeepStorage.Value is { } keep)
            lines.Add(($"keep_storage = {Quote(ByteSize.Format(keep))}", $"{config.GcKeepStorage.Source}; {keep.ToString(CultureInfo.InvariantCulture)} bytes"));
        else
            lines.Add(("# keep_storage is not set: 'csbuild prune' uses its built-in budget", null));
        foreach (var registry in config.Registries.Values.OrderBy(r => r.Host, StringComparer.Ordinal))
        {
            lines.Add(("", null));
            lines.Add(($"[registry.{Quote(registry.Host)}]", null));
            lines.Add(($"mirrors = [{string.Join(", ", registry.Mirrors.Value.Select(Quote))}]", registry.Mirrors.Source));
            lines.Add(($"insecure = {(registry.Insecure.Value ? "true" : "false")}", registry.Insecure.Source));
        }

        int width = lines.Where(l => l.Source is not null).Select(l => l.Text.Length).DefaultIfEmpty(0).Max();
        var sb = new StringBuilder();
        foreach (var (text, source) in lines)
            sb.Append(source is null ? text : text.PadRight(width) + "  # " + source).Append('\n');
        return sb.ToString();
    }

    /// <summary>A TOML basic string.</summary>
    internal static string Quote(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
