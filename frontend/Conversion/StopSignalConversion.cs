using System.Globalization;
using Csbuild.Frontend.Instructions;

namespace Csbuild.Frontend.Conversion;

/// <summary>STOPSIGNAL → the image config's StopSignal, checked like Docker's signal.ParseSignal.</summary>
internal static class StopSignalConversion
{
    private static readonly HashSet<string> Names =
    [
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL", "PROF", "PWR",
        "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH",
        "XCPU", "XFSZ", "RTMIN", "RTMAX",
    ];

    public static void Apply(StopSignalInstruction stop, StageState state, ConversionContext ctx)
    {
        var signal = ctx.Expand(stop, stop.Signal, state);
        if (!IsValid(signal)) throw ctx.Error(stop, $"Invalid signal: {signal}", "use a name like SIGTERM or a number like 15");
        state.Config.Config.StopSignal = signal;
        state.AddHistory("STOPSIGNAL " + signal, null);
    }

    internal static bool IsValid(string signal)
    {
        if (int.TryParse(signal, NumberStyles.None, CultureInfo.InvariantCulture, out var number)) return number is > 0 and <= 64;
        var name = signal.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal)) name = name[3..];
        if (Names.Contains(name)) return true;
        // RTMIN+n (n ≤ 15) and RTMAX-n (n ≤ 14), as Linux names real-time signals.
        foreach (var (prefix, max) in new[] { ("RTMIN+", 15), ("RTMAX-", 14) })
            if (name.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(name[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= max)
                return true;
        return false;
    }
}
