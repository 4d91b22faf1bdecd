using System.Diagnostics;

namespace Csbuild.Frontend.Tests.Fuzz;

/// <summary>
/// The frontend's time grows linearly with its input: for each shape of hostile input, eight times the size
/// may take at most about eight times as long (with a wide margin for a busy machine; quadratic growth would
/// be sixty-four times).
/// </summary>
public class LinearTimeTests
{
    public static TheoryData<string> Shapes() =>
        ["long line", "continuations", "instructions", "heredoc body", "env pairs", "arg words", "json array", "expansions", "stages"];

    private static string Make(string shape, int n) => shape switch
    {
        "long line" => "FROM a\nRUN echo " + new string('x', n * 10) + "\n",
        "continuations" => "FROM a\nRUN a \\\n" + string.Concat(Enumerable.Repeat(" b \\\n", n)) + " c\n",
        "instructions" => "FROM a\n" + string.Concat(Enumerable.Repeat("RUN x\n", n)),
        "heredoc body" => "FROM a\nCOPY <<EOF /f\n" + string.Concat(Enumerable.Repeat("line $A\n", n)) + "EOF\n",
        "env pairs" => "FROM a\nENV " + string.Concat(Enumerable.Range(0, n).Select(i => $"K{i}=\"v {i}\" ")) + "\nRUN x\n",
        "arg words" => "FROM a\nARG " + string.Concat(Enumerable.Range(0, n).Select(i => $"A{i}=\"{i}\" ")) + "\nRUN x\n",
        "json array" => "FROM a\nCMD [" + string.Join(',', Enumerable.Repeat("\"x\"", n)) + "]\n",
        "expansions" => "FROM a\nENV A=1\nLABEL l=\"" + string.Concat(Enumerable.Repeat("${A:-x}${A#?}", n)) + "\"\n",
        "stages" => "FROM a AS s0\n" + string.Concat(Enumerable.Range(1, n / 10).Select(i => $"FROM s{i - 1} AS s{i}\nRUN x\n")),
        _ => throw new ArgumentException(shape),
    };

    private static TimeSpan Measure(string text)
    {
        var best = TimeSpan.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            FrontendPipeline.RunAsync(text).GetAwaiter().GetResult();
            if (sw.Elapsed < best) best = sw.Elapsed;
        }
        return best;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Time_grows_linearly_with_input(string shape)
    {
        const int small = 4_000;
        Measure(Make(shape, 200)); // warm the JIT
        var t1 = Measure(Make(shape, small));
        var t8 = Measure(Make(shape, small * 8));
        var allowed = t1 * 8 * 3 + TimeSpan.FromMilliseconds(300);
        Assert.True(t8 <= allowed, $"{shape}: {small} units took {t1.TotalMilliseconds:F0} ms, {small * 8} took {t8.TotalMilliseconds:F0} ms");
    }
}
