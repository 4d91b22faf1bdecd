using System.CommandLine;
using System.CommandLine.Help;
using System.Text;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>csbuild completion bash|zsh|fish</c>: a shell completion script, generated from the command tree itself so it
/// always lists the commands and flags this csbuild has. Image names are completed from <c>csbuild images</c>.
/// </summary>
internal static class CompletionCommand
{
    /// <summary>Commands whose positional arguments are local image names.</summary>
    private static readonly string[] ImageCommands = ["inspect", "history", "tag", "rmi", "run", "push"];

    /// <summary>Fixed values of some flags and arguments.</summary>
    private static readonly Dictionary<string, string[]> Values = new()
    {
        ["--progress"] = ["auto", "tty", "plain", "rawjson", "quiet"],
        ["--network"] = ["none", "host"],
    };

    public static Command Create(RootCommand root)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script (bash, zsh or fish)") { shell };
        command.SetAction(parse =>
        {
            Console.Out.Write(parse.GetValue(shell) switch
            {
                "bash" => Bash(root),
                "zsh" => Zsh(root),
                _ => Fish(root),
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static IEnumerable<Command> Commands(RootCommand root) => root.Subcommands.Where(c => !c.Hidden).OrderBy(c => c.Name, StringComparer.Ordinal);

    private static IEnumerable<Option> Options(Command command, RootCommand root) =>
        command.Options.Concat(command == root ? [] : root.Options.Where(o => o.Recursive || o is HelpOption)).Where(o => !o.Hidden).DistinctBy(o => o.Name);

    // Only -x / --long-name forms: System.CommandLine's "-?" and "/?" help aliases mean nothing to a shell.
    private static IEnumerable<string> Names(Option option) => option.Aliases.Prepend(option.Name).Distinct()
        .Where(n => n.Length >= 2 && n[0] == '-' && n.Skip(1).All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        .OrderBy(n => n.Length == 2 ? 0 : 1);

    private static bool TakesValue(Option option) => option.ValueType != typeof(bool) && option.Arity.MaximumNumberOfValues > 0;

    private static string[] ArgumentValues(Command command) => command.Name switch
    {
        "completion" => ["bash", "zsh", "fish"],
        "help" => HelpCommand.Topics.Keys.Order(StringComparer.Ordinal).ToArray(),
        _ => command.Subcommands.Select(c => c.Name).ToArray(),
    };

    internal static string Bash(RootCommand root)
    {
        var sb = new StringBuilder();
        sb.Append("# bash completion for csbuild. Install: csbuild completion bash > /etc/bash_completion.d/csbuild\n");
        sb.Append("_csbuild_images() {\n    csbuild images 2>/dev/null | awk 'NR > 1 { print ($2 == \"<none>\" ? $1 : $1 \":\" $2) }'\n}\n\n");
        sb.Append("_csbuild() {\n");
        sb.Append("    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" cmd=\"\" i\n");
        sb.Append("    for ((i = 1; i < COMP_CWORD; i++)); do\n");
        sb.Append("        case \"${COMP_WORDS[i]}\" in\n            -*) ;;\n");
        sb.Append($"            {string.Join('|', Commands(root).Select(c => c.Name))}) cmd=\"${{COMP_WORDS[i]}}\"; break ;;\n");
        sb.Append("        esac\n    done\n");
        sb.Append("    case \"$prev\" in\n");
        foreach (var (flag, values) in Values) sb.Append($"        {flag}) COMPREPLY=($(compgen -W \"{string.Join(' ', values)}\" -- \"$cur\")); return ;;\n");
        sb.Append("        -f|--file|--iidfile) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
        sb.Append("        --root) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n");
        sb.Append("    esac\n");
        sb.Append("    local opts words\n    case \"$cmd\" in\n");
        foreach (var command in Commands(root))
        {
            sb.Append($"        {command.Name}) opts=\"{string.Join(' ', Options(command, root).SelectMany(Names))}\"");
            sb.Append($"; words=\"{string.Join(' ', ArgumentValues(command))}\" ;;\n");
        }
        sb.Append($"        *) opts=\"{string.Join(' ', Options(root, root).SelectMany(Names))}\"; words=\"{string.Join(' ', Commands(root).Select(c => c.Name))}\" ;;\n");
        sb.Append("    esac\n");
        sb.Append("    if [[ \"$cur\" == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")); return; fi\n");
        sb.Append("    case \"$cmd\" in\n");
        sb.Append($"        {string.Join('|', ImageCommands)}) COMPREPLY=($(compgen -W \"$(_csbuild_images)\" -- \"$cur\")) ;;\n");
        sb.Append("        build|\"\") COMPREPLY=($(compgen -W \"$words\" -- \"$cur\") $(compgen -d -- \"$cur\")) ;;\n");
        sb.Append("        *) COMPREPLY=($(compgen -W \"$words\" -- \"$cur\")) ;;\n");
        sb.Append("    esac\n}\n");
        sb.Append("complete -F _csbuild csbuild\n");
        return sb.ToString();
    }

    internal static string Zsh(RootCommand root)
    {
        var sb = new StringBuilder();
        sb.Append("#compdef csbuild\n# zsh completion for csbuild. Install: csbuild completion zsh > \"${fpath[1]}/_csbuild\"\n\n");
        sb.Append("_csbuild_images() {\n    local -a images\n    images=(${(f)\"$(csbuild images 2>/dev/null | awk 'NR > 1 { print ($2 == \"<none>\" ? $1 : $1 \":\" $2) }')\"})\n");
        sb.Append("    _describe 'image' images\n}\n\n");
        sb.Append("_csbuild() {\n    local -a commands\n    commands=(\n");
        foreach (var command in Commands(root)) sb.Append($"        '{command.Name}:{ZshText(command.Description)}'\n");
        sb.Append("    )\n");
        sb.Append("    if (( CURRENT == 2 )); then\n        _describe 'command' commands\n        _files -/\n        return\n    fi\n");
        sb.Append("    local cmd=$words[2]\n    (( CURRENT-- ))\n    shift words\n    case $cmd in\n");
        foreach (var command in Commands(root))
        {
            sb.Append($"        {command.Name})\n            _arguments -s");
            foreach (var option in Options(command, root))
                foreach (var name in Names(option))
                    sb.Append(" \\\n                '").Append(name).Append('[').Append(ZshText(option.Description)).Append(']').Append(ZshValue(option)).Append('\'');
            var positional = ImageCommands.Contains(command.Name) ? "*:image:_csbuild_images"
                : command.Name == "build" ? "*:context:_files -/"
                : ArgumentValues(command) is { Length: > 0 } values ? $"1:value:({string.Join(' ', values)})"
                : null;
            if (positional is not null) sb.Append(" \\\n                '").Append(positional).Append('\'');
            sb.Append("\n            ;;\n");
        }
        sb.Append("    esac\n}\n\n_csbuild \"$@\"\n");
        return sb.ToString();
    }

    private static string ZshValue(Option option)
    {
        if (!TakesValue(option)) return "";
        if (Values.TryGetValue(option.Name, out var values)) return $":value:({string.Join(' ', values)})";
        return option.Name switch
        {
            "--file" or "--iidfile" => ":file:_files",
            "--root" => ":directory:_files -/",
            _ => ":value:",
        };
    }

    // Inside '...[desc]' zsh needs brackets and colons escaped and single quotes doubled up.
    private static string ZshText(string? text) =>
        FirstLine(text).Replace("'", "'\\''").Replace("[", "\\[").Replace("]", "\\]").Replace(":", "\\:");

    internal static string Fish(RootCommand root)
    {
        var sb = new StringBuilder();
        sb.Append("# fish completion for csbuild. Install: csbuild completion fish > ~/.config/fish/completions/csbuild.fish\n");
        sb.Append("function __csbuild_images\n    csbuild images 2>/dev/null | awk 'NR > 1 { print ($2 == \"<none>\" ? $1 : $1 \":\" $2) }'\nend\n");
        var names = string.Join(' ', Commands(root).Select(c => c.Name));
        sb.Append($"set -l __csbuild_commands {names}\n");
        foreach (var command in Commands(root))
            sb.Append($"complete -c csbuild -n \"not __fish_seen_subcommand_from $__csbuild_commands\" -a {command.Name} -d {FishText(command.Description)}\n");
        foreach (var option in Options(root, root)) sb.Append(FishOption(option, "not __fish_seen_subcommand_from $__csbuild_commands"));
        foreach (var command in Commands(root))
        {
            var condition = $"__fish_seen_subcommand_from {command.Name}";
            foreach (var option in Options(command, root)) sb.Append(FishOption(option, condition));
            if (ImageCommands.Contains(command.Name))
                sb.Append($"complete -c csbuild -n \"{condition}\" -f -a \"(__csbuild_images)\"\n");
            else if (ArgumentValues(command) is { Length: > 0 } values)
                sb.Append($"complete -c csbuild -n \"{condition}\" -f -a \"{string.Join(' ', values)}\"\n");
        }
        return sb.ToString();
    }

    private static string FishOption(Option option, string condition)
    {
        var sb = new StringBuilder($"complete -c csbuild -n \"{condition}\"");
        foreach (var name in Names(option))
            sb.Append(name.StartsWith("--", StringComparison.Ordinal) ? $" -l {name[2..]}" : name.Length == 2 ? $" -s {name[1..]}" : $" -o {name[1..]}");
        if (TakesValue(option))
        {
            sb.Append(" -r");
            if (Values.TryGetValue(option.Name, out var values)) sb.Append($" -f -a \"{string.Join(' ', values)}\"");
        }
        return sb.Append(" -d ").Append(FishText(option.Description)).Append('\n').ToString();
    }

    private static string FishText(string? text) => "'" + FirstLine(text).Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    private static string FirstLine(string? text) => (text ?? "").Split('\n')[0].Trim();
}
