using System.Globalization;
using Csbuild.Frontend.Instructions;
using Csbuild.Oci.Model;

namespace Csbuild.Frontend.Conversion;

/// <summary>EXPOSE → the image config's ExposedPorts (<c>80/tcp</c>); port ranges expand to every port, as Docker's nat package does.</summary>
internal static class ExposeConversion
{
    public static void Apply(ExposeInstruction expose, StageState state, ConversionContext ctx)
    {
        var ports = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var raw in expose.Ports)
        {
            // An expansion may yield several ports ("EXPOSE $PORTS"), as BuildKit splits them into words.
            foreach (var spec in ctx.ExpandWithMatches(expose, raw, state.Lookup).Words)
            {
                var parsed = ParsePortSpec(spec, out var error);
                if (error is not null) throw ctx.Error(expose, error, "write EXPOSE 80, 80/udp or 8000-8010/tcp", raw);
                ports.UnionWith(parsed);
            }
        }
        state.Config.Config.ExposedPorts ??= [];
        foreach (var port in ports) state.Config.Config.ExposedPorts[port] = new EmptyObject();
        state.AddHistory("EXPOSE map[" + string.Join(' ', ports.Select(p => p + ":{}")) + "]", null);
    }

    /// <summary><c>[ip:][hostPort:]containerPort[-end][/proto]</c> → <c>port/proto</c> keys.</summary>
    internal static List<string> ParsePortSpec(string spec, out string? error)
    {
        error = null;
        var result = new List<string>();
        var proto = "tcp";
        var body = spec;
        var slash = spec.LastIndexOf('/');
        if (slash >= 0)
        {
            proto = spec[(slash + 1)..].ToLowerInvariant();
            body = spec[..slash];
        }
        if (proto is not ("tcp" or "udp" or "sctp"))
        {
            error = $"invalid proto: {proto}";
            return result;
        }
        // Only the container port matters for the image; an "ip:host:" prefix is accepted and ignored.
        var containerPart = body.Contains(':') ? body[(body.LastIndexOf(':') + 1)..] : body;
        var dash = containerPart.IndexOf('-');
        var startText = dash < 0 ? containerPart : containerPart[..dash];
        var endText = dash < 0 ? containerPart : containerPart[(dash + 1)..];
        if (!TryPort(startText, out var start) || !TryPort(endText, out var end) || end < start)
        {
            error = $"invalid containerPort: {containerPart}";
            return result;
        }
        for (var p = start; p <= end; p++) result.Add(p.ToString(CultureInfo.InvariantCulture) + "/" + proto);
        return result;
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 0 and <= 65535;
}
