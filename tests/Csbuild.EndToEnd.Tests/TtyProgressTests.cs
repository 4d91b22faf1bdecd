using System.Text.RegularExpressions;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// The live progress view in a real pseudo-terminal: util-linux/bsdutils <c>script</c> gives csbuild a pty as stderr,
/// so it renders the interactive view it shows a developer, escape codes and all.
/// </summary>
[Collection("busybox")]
public sealed partial class TtyProgressTests(BusyboxStoreFixture busybox)
{
    /// <summary>SGR sequences that set a colour: 30–37/90–97 foregrounds, 40–47/100–107 backgrounds, 38;…/48;… extended.</summary>
    [GeneratedRegex(@"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")]
    private static partial Regex ColourSequence();

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex AnyEscape();

    private const string Dockerfile = """
        FROM busybox:latest
        RUN echo first-step-output && sleep 1
        RUN echo second-step > /second.txt
        """;

    private static ProcessResult BuildInPty(string root, string context, bool noColor)
    {
        var command = $"{CsbuildExecutable.ShellWords} build --progress=tty -t tty:1 '{context}'";
        var env = new Dictionary<string, string?>
        {
            ["CSBUILD_ROOT"] = root,
            ["TERM"] = "xterm-256color",
            ["COLORTERM"] = "truecolor",
            ["NO_COLOR"] = noColor ? "1" : null,
            ["CI"] = null,
        };
        // -q quiet, -f flush as it goes, -e return the child's exit code, -c the command; the typescript goes nowhere.
        return ProcessRunner.Run("script", ["-qfec", command, "/dev/null"], environment: env, timeout: TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void LiveView_RendersStepNames_AndEndsWithAFinishedSummary()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", Dockerfile);

        var result = BuildInPty(root, dir.Combine("ctx"), noColor: false);
        Assert.True(result.ExitCode == 0, result.ToString());
        var screen = result.Stdout; // script puts the pty's output (csbuild's stderr included) on its stdout
        var text = AnyEscape().Replace(screen, "");
        Assert.Contains("RUN echo first-step-output", text);
        Assert.Contains("RUN echo second-step", text);
        Assert.Matches(@"\[\+\] Building \d+\.\ds \(\d+/\d+\) FINISHED", text);
        Assert.Contains("naming to tty:1 done", text);
        Assert.Matches(ColourSequence(), screen); // colours are on by default on a terminal
        // The last frame is left on screen: the final summary counts every step as done.
        var finalHeader = Regex.Matches(text, @"\[\+\] Building [\d.]+s \((\d+)/(\d+)\) FINISHED").Last();
        Assert.Equal(finalHeader.Groups[2].Value, finalHeader.Groups[1].Value);

        Assert.Equal(0, CsbuildProgram.Run(root, "run", "tty:1", "cat", "/second.txt").ExitCode);
    }

    [Fact]
    public void NoColor_RemovesColourEscapes_ButKeepsTheLiveView()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", Dockerfile);

        var result = BuildInPty(root, dir.Combine("ctx"), noColor: true);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotMatch(ColourSequence(), result.Stdout);
        var text = AnyEscape().Replace(result.Stdout, "");
        Assert.Contains("RUN echo first-step-output", text);
        Assert.Contains("FINISHED", text);
    }

    [Fact]
    public void AFailingStep_EndsTheViewWithError_AndExitCode1()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", "FROM busybox:latest\nRUN echo about-to-fail && exit 3\n");

        var result = BuildInPty(root, dir.Combine("ctx"), noColor: true);
        Assert.Equal(1, result.ExitCode);
        var text = AnyEscape().Replace(result.Stdout, "");
        Assert.Contains("ERROR", text);
        Assert.Contains("exit code: 3", text);
        Assert.DoesNotContain("FINISHED", text);
    }
}
