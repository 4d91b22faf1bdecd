using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Checks;

/// <summary>
/// The <c># check=skip=Rule1,Rule2;error=true</c> parser directive: which warnings to drop (<c>skip=all</c> drops
/// every one) and whether any remaining warning fails the build.
/// </summary>
public sealed record CheckPolicy(IReadOnlySet<string> Skip, bool SkipAll, bool Error)
{
    public static CheckPolicy Default { get; } = new(new HashSet<string>(), false, false);

    /// <exception cref="DockerfileParseException">The directive is malformed.</exception>
    public static CheckPolicy From(DockerfileSyntax syntax)
    {
        if (syntax.Directive("check") is not { } value) return Default;
        var skip = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var skipAll = false;
        var error = false;
        foreach (var part in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq].Trim();
            var v = eq < 0 ? "" : part[(eq + 1)..].Trim();
            switch (key.ToLowerInvariant())
            {
                case "skip":
                    foreach (var rule in v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (rule.Equals("all", StringComparison.OrdinalIgnoreCase)) skipAll = true;
                        else skip.Add(rule);
                    }
                    break;
                case "error":
                    error = v.ToLowerInvariant() switch
                    {
                        "true" => true,
                        "false" => false,
                        _ => throw Invalid(syntax, value, $"invalid boolean value for error: {v}"),
                    };
                    break;
                default:
                    throw Invalid(syntax, value, $"invalid check directive key: {key}");
            }
        }
        return new CheckPolicy(skip, skipAll, error);
    }

    public bool Allows(DockerfileWarning warning) => !SkipAll && !Skip.Contains(warning.Rule);

    private static DockerfileParseException Invalid(DockerfileSyntax syntax, string value, string message) =>
        new(syntax.FileName, 1, 1, message, "write # check=skip=Rule1,Rule2;error=true", value);
}
