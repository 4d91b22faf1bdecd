using System.Text;

namespace Csbuild.Executor.Tests;

public sealed class OutputPumpTests
{
    private static async Task<List<string>> Pump(byte[] data)
    {
        var lines = new List<string>();
        await OutputPump.PumpAsync(new MemoryStream(data), OutputStream.Stdout, line => lines.Add(line.Text));
        return lines;
    }

    [Fact]
    public async Task SplitsOnNewlinesAndStripsCarriageReturns()
    {
        Assert.Equal(["one", "two", "", "three"], await Pump(Encoding.UTF8.GetBytes("one\r\ntwo\n\nthree")));
    }

    [Fact]
    public async Task DecodesUtf8AcrossReadBoundaries()
    {
        var text = new string('a', 16 * 1024 - 1) + "é\n";

        Assert.Equal([text.TrimEnd('\n')], await Pump(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public async Task VeryLongLinesAreReportedInBoundedPieces()
    {
        var lines = await Pump(Encoding.UTF8.GetBytes(new string('x', OutputPump.MaxLineBytes * 2 + 10) + "\nend\n"));

        Assert.Equal([OutputPump.MaxLineBytes, OutputPump.MaxLineBytes, 10, 3], lines.Select(l => l.Length));
    }

    [Fact]
    public async Task EmptyStreamReportsNothing()
    {
        Assert.Empty(await Pump([]));
    }
}
