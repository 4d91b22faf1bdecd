using Csbuild.Cli.Progress;
using Csbuild.Solver.Progress;

namespace Csbuild.Cli.Tests;

public sealed class PlainProgressWriterTests
{
    [Fact]
    public void WritesBuildKitStylePlainLines()
    {
        var output = new StringWriter { NewLine = "\n" };
        var writer = new PlainProgressWriter(output);
        var t0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        writer.Report(new VertexCached(7, "[1/3] FROM busybox", t0));
        writer.Report(new VertexStarted(8, "[2/3] RUN echo hi", t0));
        writer.Report(new VertexLog(8, "[2/3] RUN echo hi", t0.AddMilliseconds(123), 1, "hi"));
        writer.Report(new VertexCompleted(8, "[2/3] RUN echo hi", t0.AddSeconds(1), TimeSpan.FromMilliseconds(1234)));
        writer.Report(new VertexStarted(9, "[3/3] RUN false", t0));
        writer.Report(new VertexFailed(9, "[3/3] RUN false", t0, "exit code: 1"));

        Assert.Equal("""
            #1 [1/3] FROM busybox
            #1 CACHED

            #2 [2/3] RUN echo hi
            #2 0.123 hi
            #2 DONE 1.2s

            #3 [3/3] RUN false
            #3 ERROR: exit code: 1


            """.Replace("\r\n", "\n"), output.ToString());
    }

    [Theory]
    [InlineData(999, "999B")]
    [InlineData(1_500, "1.50kB")]
    [InlineData(42_000_000, "42.0MB")]
    [InlineData(300_000_000, "300MB")]
    public void Units_AreDecimalLikeDocker(long bytes, string text) => Assert.Equal(text, Units.Bytes(bytes));

    [Fact]
    public void UnknownProgressMode_IsAUsageError()
    {
        var error = Assert.Throws<CliException>(() => ProgressModes.Parse("fancy"));
        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Equal(ProgressMode.RawJson, ProgressModes.Parse("rawjson"));
    }
}
