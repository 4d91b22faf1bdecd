using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

public enum FlagKind { String, Bool, List }

/// <summary>
/// Validated flags of one instruction, as BuildKit's BFlags checks them: only the flags the instruction knows,
/// values where a value is needed, booleans as true/false, no repeated single-value flag.
/// </summary>
public sealed class InstructionFlags
{
    private readonly Dictionary<string, string> _values = [];
    private readonly Dictionary<string, List<string>> _lists = [];

    private InstructionFlags() { }

    public static InstructionFlags Parse(InstructionNode node, string fileName, params (string Name, FlagKind Kind)[] allowed)
    {
        var flags = new InstructionFlags();
        var kinds = allowed.ToDictionary(a => a.Name, a => a.Kind);
        foreach (var raw in node.Flags)
        {
            DockerfileParseException Error(string message, string? hint = null)
            {
                var (line, column) = node.PositionOf(raw);
                return new DockerfileParseException(fileName, line, column, message, hint, raw);
            }

            if (!raw.StartsWith("--", StringComparison.Ordinal)) throw Error($"arg should start with -- : {raw}");
            var body = raw[2..];
            var eq = body.IndexOf('=');
            var name = eq < 0 ? body : body[..eq];
            var value = eq < 0 ? null : body[(eq + 1)..];
            if (!kinds.TryGetValue(name, out var kind))
            {
                var known = string.Join(", ", allowed.Select(a => "--" + a.Name));
                throw Error($"unknown flag: {name}", allowed.Length == 0
                    ? $"{node.Command.ToUpperInvariant()} takes no flags"
                    : $"{node.Command.ToUpperInvariant()} accepts {known}");
            }
            if (kind != FlagKind.List && (flags._values.ContainsKey(name)))
                throw Error($"duplicate flag specified: {name}");
            switch (kind)
            {
                case FlagKind.Bool:
                    if (value is not null && value.Length == 0) throw Error($"missing a value on flag: {name}");
                    var lower = value?.ToLowerInvariant() ?? "true";
                    if (lower is not ("true" or "false")) throw Error($"expecting boolean value for flag {name}, not: {value}");
                    flags._values[name] = lower;
                    break;
                case FlagKind.String:
                    if (value is null) throw Error($"missing a value on flag: {name}", $"write --{name}=VALUE");
                    flags._values[name] = value;
                    break;
                default:
                    if (value is null) throw Error($"missing a value on flag: {name}", $"write --{name}=VALUE");
                    if (!flags._lists.TryGetValue(name, out var list)) flags._lists[name] = list = [];
                    list.Add(value);
                    break;
            }
        }
        return flags;
    }

    public string? String(string name) => _values.GetValueOrDefault(name);

    public bool Bool(string name) => _values.GetValueOrDefault(name) == "true";

    public bool IsSet(string name) => _values.ContainsKey(name) || _lists.ContainsKey(name);

    public IReadOnlyList<string> List(string name) => _lists.TryGetValue(name, out var l) ? l : [];
}
