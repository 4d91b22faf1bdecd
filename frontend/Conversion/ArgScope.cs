using Csbuild.Frontend.Expansion;
using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>
/// Build arguments: <c>--build-arg</c> values, the global ARGs declared before the first FROM (usable in FROM
/// lines, and inherited by a stage that re-declares them without a default), and the predefined ARGs
/// (platform ARGs, always in the global scope; proxy ARGs, given to RUN without a declaration).
/// </summary>
internal sealed class ArgScope
{
    public static readonly IReadOnlyList<string> ProxyArgs =
    [
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    ];

    private readonly Dictionary<string, string?> _global = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _buildArgs;

    public ArgScope(IReadOnlyDictionary<string, string> buildArgs, PlatformSpec build, PlatformSpec target)
    {
        _buildArgs = buildArgs;
        foreach (var (k, v) in PlatformArgs(build, target)) _global[k] = v;
    }

    /// <summary>Build args that some declaration consumed.</summary>
    public HashSet<string> Used { get; } = new(StringComparer.Ordinal);

    /// <summary>Names declared with ARG before the first FROM (not the predefined ones).</summary>
    public HashSet<string> DeclaredGlobally { get; } = new(StringComparer.Ordinal);

    public static IEnumerable<KeyValuePair<string, string>> PlatformArgs(PlatformSpec build, PlatformSpec target)
    {
        yield return new("BUILDPLATFORM", build.ToString());
        yield return new("BUILDOS", build.Os);
        yield return new("BUILDARCH", build.Architecture);
        yield return new("BUILDVARIANT", build.Variant ?? "");
        yield return new("TARGETPLATFORM", target.ToString());
        yield return new("TARGETOS", target.Os);
        yield return new("TARGETARCH", target.Architecture);
        yield return new("TARGETVARIANT", target.Variant ?? "");
    }

    /// <summary>The global scope, as FROM lines see it.</summary>
    public string? LookupGlobal(string name) => _global.GetValueOrDefault(name);

    public bool IsGlobal(string name) => _global.ContainsKey(name);

    /// <summary>A --build-arg value, marking it used.</summary>
    public string? BuildArg(string name)
    {
        if (!_buildArgs.TryGetValue(name, out var v)) return null;
        Used.Add(name);
        return v;
    }

    /// <summary>Declares the global ARGs (before the first FROM), in order; a default may use the ARGs before it.</summary>
    public void DeclareGlobals(IEnumerable<ArgInstruction> globals, ConversionContext ctx)
    {
        foreach (var instruction in globals)
        foreach (var decl in instruction.Args)
        {
            var name = ctx.Expand(instruction, decl.Name, LookupGlobal);
            var value = decl.DefaultValue is null ? null : ctx.Expand(instruction, decl.DefaultValue, LookupGlobal);
            value = BuildArg(name) ?? value;
            _global[name] = value;
            DeclaredGlobally.Add(name);
        }
    }

    /// <summary>Proxy values given as --build-arg; RUN steps get them without an ARG declaration.</summary>
    public IEnumerable<KeyValuePair<string, string>> ProxyValues()
    {
        foreach (var name in ProxyArgs)
        {
            if (!_buildArgs.TryGetValue(name, out var v)) continue;
            Used.Add(name);
            yield return new(name, v);
        }
    }

    public IEnumerable<string> Unused() => _buildArgs.Keys.Where(k => !Used.Contains(k) && !ProxyArgs.Contains(k)).Order(StringComparer.Ordinal);

    public static VariableLookup Empty { get; } = _ => null;
}
