using System.Diagnostics;
using Csbuild.Hardening.Support;
using Csbuild.TestSupport;
using Xunit.Abstractions;

namespace Csbuild.Hardening.Faults;

/// <summary>
/// Issue 11, item 4: an OCI runtime that crashes mid-step (a --runtime wrapper that SIGKILLs runc while the
/// container runs, then itself). The step fails cleanly and promptly; no mount stays in /proc/self/mountinfo,
/// no cgroup stays in the cgroup tree, no process of the step survives, and the root keeps working.
/// </summary>
[Collection("csbuild")]
public sealed class CrashingRuntimeTests(BusyboxBase busybox, ITestOutputHelper output)
{
    private const string Marker = "31337"; // the step sleeps this long: its process is findable by its command line

    [Fact]
    public void ARuntimeThatCrashesMidStep_FailsTheStepCleanly_AndLeavesNoMountCgroupOrProcess()
    {
        using var dir = new TempDirectory("csbuild-crashing-runtime");
        var root = busybox.NewRoot(dir);
        var wrapper = dir.Write("crashing-runc", $"""
            #!/bin/sh
            # Forwards to runc; a "run" is started, then runc is SIGKILLed mid-step and this wrapper dies by SIGKILL too.
            for arg in "$@"; do
              if [ "$arg" = run ]; then
                runc "$@" &
                sleep 2
                kill -9 $!
                kill -9 $$
              fi
            done
            exec runc "$@"
            """);
        File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ED);
        dir.Write("ctx/Dockerfile", $"FROM busybox:latest\nRUN echo started && sleep {Marker} && echo never\n");
        var clock = Stopwatch.StartNew();
        var stepCgroups = new HashSet<string>(StringComparer.Ordinal);
        using (var build = CsbuildProgram.Start(root, null, "build", "--progress=plain", "--runtime", wrapper, dir.Combine("ctx")))
        {
            // Other builds may run on this machine: watch for the cgroups of this step's own process.
            while (!build.Process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120))
            {
                foreach (var pid in StepProcesses()) stepCgroups.UnionWith(CgroupsOf(pid));
                Thread.Sleep(50);
            }
            var exit = build.WaitForExit(TimeSpan.FromSeconds(120));
            output.WriteLine($"exit {exit} after {clock.Elapsed}:\n{build.Output}");
            Assert.NotEqual(0, exit);
            Assert.Contains("started", build.Output); // the crash happened mid-step, not before it
            Assert.Matches("(?m)^error: .*RUN echo started", build.Output);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the failed step took {clock.Elapsed}");

        Assert.Empty(RootInspector.MountsUnder(root));
        Assert.NotEmpty(stepCgroups); // the step did run in cgroups of its own
        Assert.DoesNotContain(stepCgroups, Directory.Exists);
        Assert.Empty(StepProcesses());
        Figures.Record("runtime crashes injected", 1);

        dir.Write("ok/Dockerfile", "FROM busybox:latest\nRUN echo fine > /fine\n");
        var next = CsbuildProgram.Run(root, "build", "--progress=plain", dir.Combine("ok"));
        Assert.True(next.ExitCode == 0, next.ToString());
    }

    /// <summary>The cgroup directories (every v1 hierarchy and the unified one) a process is in.</summary>
    private static IEnumerable<string> CgroupsOf(int pid)
    {
        string[] lines;
        try { lines = File.ReadAllLines($"/proc/{pid}/cgroup"); }
        catch (IOException) { return []; }
        return lines.Select(line => line.Split(':', 3)).Where(parts => parts.Length == 3 && parts[2].Contains("csbuild", StringComparison.Ordinal))
            .Select(parts => Path.Join("/sys/fs/cgroup", parts[1].Length == 0 ? "unified" : parts[1].Replace("name=", "").Split(',')[0], parts[2]));
    }

    private static List<int> StepProcesses() =>
        Directory.EnumerateDirectories("/proc")
            .Select(p => int.TryParse(Path.GetFileName(p), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && CommandLine(pid).StartsWith("sleep " + Marker, StringComparison.Ordinal))
            .ToList();

    private static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }
}
