using Csbuild.Frontend.Instructions;
using Csbuild.Oci.Model;

namespace Csbuild.Frontend.Conversion;

/// <summary>HEALTHCHECK → the image config's Healthcheck (durations in nanoseconds).</summary>
internal static class HealthcheckConversion
{
    public static void Apply(HealthcheckInstruction health, StageState state, ConversionContext ctx)
    {
        _ = ctx;
        state.Config.Config.Healthcheck = new HealthConfig
        {
            Test = [.. health.Test],
            Interval = NonZero(health.Interval),
            Timeout = NonZero(health.Timeout),
            StartPeriod = NonZero(health.StartPeriod),
            StartInterval = NonZero(health.StartInterval),
            Retries = health.Retries is 0 ? null : health.Retries,
        };
        // Go's %q of Docker's *HealthConfig, as BuildKit writes it.
        var text = "&{" + GoFormat.QuoteList(health.Test)
            + " " + GoFormat.Quote(GoDuration.Format(health.Interval ?? 0))
            + " " + GoFormat.Quote(GoDuration.Format(health.Timeout ?? 0))
            + " " + GoFormat.Quote(GoDuration.Format(health.StartPeriod ?? 0))
            + " " + GoFormat.Quote(GoDuration.Format(health.StartInterval ?? 0))
            + " " + GoFormat.QuoteRune(health.Retries ?? 0) + "}";
        state.AddHistory("HEALTHCHECK " + text, null);
    }

    private static long? NonZero(long? value) => value is 0 ? null : value;
}
