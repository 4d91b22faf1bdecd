using Csbuild.TestSupport;

namespace Csbuild.Executor.Tests;

[CollectionDefinition(Name)]
public sealed class ContainerCollection : ICollectionFixture<ContainerFixture>
{
    // Container tests run one at a time: several of them check that nothing (mounts, cgroups, runtime state)
    // is left behind, which only holds when no other step is running.
    public const string Name = "containers";
}

/// <summary>
/// A busybox base layer plus a runner whose runtime state and cgroups are private to this test run,
/// so leftovers can be checked exactly.
/// </summary>
public sealed class ContainerFixture : IDisposable
{
    public string Root { get; }
    public string BaseLayer { get; }
    public string StateDirectory { get; }
    public string CgroupParent { get; }
    public ContainerRunner Runner { get; }
    private int stepCounter;

    public ContainerFixture()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        Root = Path.Combine(Path.GetTempPath(), "csbuild-executor-tests-" + id);
        BaseLayer = Path.Combine(Root, "base");
        StateDirectory = Path.Combine(Root, "state");
        CgroupParent = "csbuild-tests-" + id;
        BusyboxRootfs.Create(BaseLayer);
        Runner = new ContainerRunner(new ContainerRunnerOptions { StateDirectory = StateDirectory, CgroupParent = CgroupParent });
    }

    /// <summary>Fresh upper, work and temp directories for one step.</summary>
    public StepDirectories NewStep()
    {
        var dir = Path.Combine(Root, "steps", Interlocked.Increment(ref stepCounter).ToString());
        var step = new StepDirectories(Path.Combine(dir, "upper"), Path.Combine(dir, "work"), Path.Combine(dir, "tmp"));
        Directory.CreateDirectory(step.Upper);
        Directory.CreateDirectory(step.Work);
        return step;
    }

    /// <summary>Creates a directory to use as an extra lower layer.</summary>
    public string NewLayer(string name)
    {
        var dir = Path.Combine(Root, "layers", name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public ContainerRequest Request(StepDirectories step, string script, IReadOnlyList<string>? lowerDirs = null) => new()
    {
        LowerDirs = lowerDirs ?? [BaseLayer],
        UpperDir = step.Upper,
        OverlayWorkDir = step.Work,
        TempDirectory = step.Temp,
        Args = ["/bin/sh", "-c", script],
    };

    public async Task<StepRun> RunAsync(string script, Func<ContainerRequest, ContainerRequest>? configure = null,
        IReadOnlyList<string>? lowerDirs = null, CancellationToken ct = default)
    {
        var step = NewStep();
        var request = Request(step, script, lowerDirs);
        if (configure is not null) request = configure(request);
        var output = new CollectingProgress();
        var result = await Runner.RunAsync(request, output, ct);
        return new StepRun(result, output.Lines, step);
    }

    /// <summary>Mount points under this fixture's root that are still mounted.</summary>
    public List<string> LeftoverMounts() =>
        File.ReadLines("/proc/self/mountinfo").Where(line => line.Contains(Root, StringComparison.Ordinal)).ToList();

    /// <summary>Step cgroups still present under this run's cgroup parent, in any hierarchy.</summary>
    public List<string> LeftoverCgroups() =>
        CgroupParentDirectories().SelectMany(Directory.EnumerateDirectories).ToList();

    public List<string> LeftoverRuntimeState() =>
        Directory.Exists(StateDirectory) ? Directory.EnumerateFileSystemEntries(StateDirectory).ToList() : [];

    private IEnumerable<string> CgroupParentDirectories()
    {
        var hierarchies = File.Exists("/sys/fs/cgroup/cgroup.controllers")
            ? ["/sys/fs/cgroup"]
            : Directory.EnumerateDirectories("/sys/fs/cgroup");
        return hierarchies.Select(h => Path.Combine(h, CgroupParent)).Where(Directory.Exists);
    }

    public void Dispose()
    {
        foreach (var dir in CgroupParentDirectories().ToList())
        {
            try { Directory.Delete(dir); } catch (IOException) { /* still in use: leave it to the admin */ }
        }
        // Only delete the tree when nothing is mounted inside it, or the delete would reach into a mount.
        if (LeftoverMounts().Count == 0) Directory.Delete(Root, recursive: true);
    }
}

public sealed record StepDirectories(string Upper, string Work, string Temp);

public sealed record StepRun(ContainerResult Result, IReadOnlyList<OutputLine> Lines, StepDirectories Step)
{
    public string Stdout => string.Join('\n', Lines.Where(l => l.Stream == OutputStream.Stdout).Select(l => l.Text));
    public string Stderr => string.Join('\n', Lines.Where(l => l.Stream == OutputStream.Stderr).Select(l => l.Text));
    public IEnumerable<string> StdoutLines => Lines.Where(l => l.Stream == OutputStream.Stdout).Select(l => l.Text);

    /// <summary>Fails with the step's output when it did not exit 0, so a failing test says why.</summary>
    public StepRun AssertSucceeded()
    {
        Assert.True(Result.ExitCode == 0, $"exit {Result.ExitCode} ({Result.Message}); output:\n{string.Join('\n', Lines.Select(l => l.Text))}");
        return this;
    }
}

/// <summary>Records lines synchronously (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
public sealed class CollectingProgress : IProgress<OutputLine>
{
    private readonly List<OutputLine> lines = [];
    public Action<OutputLine>? OnLine { get; init; }

    public IReadOnlyList<OutputLine> Lines { get { lock (lines) return lines.ToList(); } }

    public void Report(OutputLine value)
    {
        lock (lines) lines.Add(value);
        OnLine?.Invoke(value);
    }
}
