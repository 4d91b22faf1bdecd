using System.Globalization;
using Sprache;

namespace Csbuild.Frontend.Instructions;

/// <summary>
/// Go's <c>time.ParseDuration</c> syntax, used by HEALTHCHECK flags: a sequence of decimal numbers with units
/// (<c>ns</c>, <c>us</c>/<c>µs</c>, <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>), e.g. <c>1h30m</c>, <c>1.5s</c>, <c>300ms</c>.
/// </summary>
public static class GoDuration
{
    private static readonly Parser<decimal> UnitNanoseconds =
        Parse.String("ns").Return(1m)
            .Or(Parse.String("us").Return(1_000m))
            .Or(Parse.String("µs").Return(1_000m))
            .Or(Parse.String("μs").Return(1_000m))
            .Or(Parse.String("ms").Return(1_000_000m))
            .Or(Parse.String("s").Return(1_000_000_000m))
            .Or(Parse.String("m").Return(60_000_000_000m))
            .Or(Parse.String("h").Return(3_600_000_000_000m));

    private static readonly Parser<decimal> Number =
        from whole in Parse.Digit.Many().Text()
        from fraction in Parse.Char('.').Then(_ => Parse.Digit.Many().Text()).Optional()
        where whole.Length > 0 || (fraction.IsDefined && fraction.Get().Length > 0)
        select decimal.Parse((whole.Length == 0 ? "0" : whole) + (fraction.IsDefined && fraction.Get().Length > 0 ? "." + fraction.Get() : ""),
            CultureInfo.InvariantCulture);

    private static readonly Parser<decimal> Component =
        from n in Number
        from unit in UnitNanoseconds
        select n * unit;

    private static readonly Parser<decimal> Duration =
        from sign in Parse.Chars('+', '-').Optional()
        from total in Parse.String("0").End().Return(0m).Or(Component.AtLeastOnce().End().Select(c => c.Sum()))
        select sign.IsDefined && sign.Get() == '-' ? -total : total;

    /// <summary>Parses to nanoseconds; false when the text is not a Go duration or is out of range.</summary>
    public static bool TryParse(string text, out long nanoseconds)
    {
        nanoseconds = 0;
        if (text.Length == 0 || text.Length > 200) return false;
        try
        {
            var result = Duration.End().TryParse(text);
            if (!result.WasSuccessful || Math.Abs(result.Value) > long.MaxValue) return false;
            nanoseconds = (long)decimal.Truncate(result.Value);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Go's <c>Duration.String()</c>: <c>1h30m0s</c>, <c>1.5s</c>, <c>300ms</c>, <c>0s</c>.</summary>
    public static string Format(long ns)
    {
        if (ns == 0) return "0s";
        var negative = ns < 0;
        var u = negative ? (ulong)(-(ns + 1)) + 1 : (ulong)ns;
        string text;
        if (u < 1_000_000_000)
        {
            // Sub-second: the largest unit that keeps an integer part.
            (ulong div, string unit) = u < 1_000 ? (1ul, "ns") : u < 1_000_000 ? (1_000ul, "µs") : (1_000_000ul, "ms");
            text = Fraction(u, div) + unit;
        }
        else
        {
            var seconds = Fraction(u % 60_000_000_000, 1_000_000_000) + "s";
            var minutes = u / 60_000_000_000;
            text = minutes == 0 ? seconds
                : minutes < 60 ? $"{minutes}m{seconds}"
                : $"{minutes / 60}h{minutes % 60}m{seconds}";
        }
        return negative ? "-" + text : text;
    }

    private static string Fraction(ulong value, ulong unit)
    {
        var whole = value / unit;
        var rest = value % unit;
        if (rest == 0) return whole.ToString(CultureInfo.InvariantCulture);
        var digits = unit.ToString(CultureInfo.InvariantCulture).Length - 1;
        return whole + "." + rest.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
    }
}
