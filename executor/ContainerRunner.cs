using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Csbuild.Executor.Native;
using Csbuild.Executor.Snapshotters;
using Csbuild.Executor.Spec;
using Csbuild.Oci.Native;

namespace Csbuild.Executor;

/// <summary>
/// Runs one RUN step: overlayfs over the parent snapshots (or the native snapshotter's copy of them where
/// overlayfs cannot be used), an OCI bundle, `runc run`, then cleanup that leaves only the step's own changes in
/// the upper dir. Safe to use for several steps at once.
/// </summary>
public sealed class ContainerRunner
{
    private const string BundleRootfs = "rootfs";
    private const string ConfigFile = "config.json";
    private const string RuntimeLogFile = "runtime.log";
    private const string EmptyLowerDir = "empty";

    /// <summary>Inherited variables that would make runc hand extra descriptors or sockets to the container.</summary>
    private static readonly string[] ScrubbedVariables = ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET"];

    private readonly ContainerRunnerOptions options;
    private string? runtimePath;

    public ContainerRunner(ContainerRunnerOptions? options = null)
    {
        this.options = options ?? new ContainerRunnerOptions();
    }

    /// <summary>
    /// Runs the step and returns how it ended. A non-zero exit is a result, not an exception; an
    /// <see cref="ExecutorException"/> means the step could not be run at all. Lines the step prints are
    /// reported to <paramref name="output"/> as they come, one call at a time (never concurrently).
    /// Cancelling kills the container, cleans up, then throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<ContainerResult> RunAsync(ContainerRequest request, IProgress<OutputLine>? output, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("RUN steps need Linux");
        if (!Libc.IsRoot)
            throw new ExecutorException("RUN steps need root: run csbuild as root (for example with sudo); rootless execution is not supported");
        runtimePath ??= RuntimeLocator.Locate(options.RuntimePath);
        if (request.Args.Count == 0) throw new ExecutorException("a RUN step needs a command");
        ct.ThrowIfCancellationRequested();

        var stopwatch = Stopwatch.StartNew();
        var id = "csbuild-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var step = new StepPaths(Path.GetFullPath(request.TempDirectory), id, "/" + options.CgroupParent.Trim('/') + "/" + id);
        var createdBundle = !Directory.Exists(step.Bundle);
        Directory.CreateDirectory(step.Bundle);

        IStepRootfs? rootfs = null;
        MountStubs? stubs = null;
        var runtimeStarted = false;
        RuntimeOutcome outcome;
        var failed = true;
        try
        {
            rootfs = OpenRootfs(request, step, ct);
            var user = UserResolver.Resolve(rootfs.Path, request.User);
            WorkingDirectory.Ensure(rootfs.Path, request.WorkingDir, user);
            MountTargets.Validate(request.Mounts);
            stubs = MountStubs.Record(rootfs.Path, RuntimeSpecBuilder.MountDestinations.Concat(request.Mounts.Select(m => m.Destination)));
            MountTargets.Create(rootfs.Path, request.Mounts);
            var etc = EtcFiles.Write(step.Bundle, request.Hostname, request.Network);
            var spec = RuntimeSpecBuilder.Build(request, user, rootfs.Path, step.CgroupsPath, etc, options.NoNewPrivileges, options.Seccomp);
            File.WriteAllBytes(Path.Combine(step.Bundle, ConfigFile), RuntimeSpecJson.Serialize(spec));

            runtimeStarted = true;
            // With a memory limit, keep the stopped container so its cgroup's OOM counter can be read;
            // otherwise let `runc run` remove it itself, which spares a `runc delete` process per step.
            var keep = request.MemoryBytes is not null;
            outcome = await RunRuntimeAsync(step, keep, output, ct).ConfigureAwait(false);
            if (keep) outcome = outcome with { OomKilled = CgroupMemory.OomKillCount(step.CgroupsPath) > 0 };
            failed = false;
        }
        finally
        {
            var cleanupError = await CleanupAsync(step, runtimeStarted, rootfs, stubs, request.UpperDir, createdBundle,
                keepChanges: !failed && !ct.IsCancellationRequested).ConfigureAwait(false);
            // Do not let a cleanup problem hide the error that got us here.
            if (cleanupError is not null && !failed)
                throw new ExecutorException($"cleaning up after the step failed: {cleanupError.Message}", cleanupError);
        }

        if (outcome.Cancelled) throw new OperationCanceledException("the step was cancelled", ct);
        return new ContainerResult(outcome.ExitCode, outcome.OomKilled, stopwatch.Elapsed, Explain(outcome, request));
    }

    /// <summary>The step's root: an overlay mount on the bundle's rootfs, or a native copy beside the upper dir.</summary>
    private IStepRootfs OpenRootfs(ContainerRequest request, StepPaths step, CancellationToken ct) =>
        SnapshotterSelection.Choose(options.Snapshotter, step.Bundle) switch
        {
            Snapshotter.Native => NativeRootfs.Create(request.LowerDirs, request.UpperDir, request.OverlayWorkDir, ct),
            _ => OverlayMount.Mount(request.LowerDirs, request.UpperDir, request.OverlayWorkDir,
                step.Rootfs, Path.Combine(step.Bundle, EmptyLowerDir)),
        };

    private static string? Explain(RuntimeOutcome outcome, ContainerRequest request)
    {
        if (outcome.OomKilled && request.MemoryBytes is { } limit)
            return $"the step exceeded its memory limit of {limit / (1024 * 1024)} MiB";
        return outcome.RuntimeError;
    }

    private sealed record StepPaths(string Bundle, string Id, string CgroupsPath)
    {
        public string Rootfs => Path.Combine(Bundle, BundleRootfs);
        public string RuntimeLog => Path.Combine(Bundle, RuntimeLogFile);
    }

    private sealed record RuntimeOutcome(int ExitCode, string? RuntimeError, bool Cancelled, bool OomKilled = false);

    private async Task<RuntimeOutcome> RunRuntimeAsync(StepPaths step, bool keep, IProgress<OutputLine>? output, CancellationToken ct)
    {
        var start = RuntimeStartInfo("--log", step.RuntimeLog, "--log-format", "json", "run", "--bundle", step.Bundle);
        if (keep) start.ArgumentList.Add("--keep");
        start.ArgumentList.Add(step.Id);
        using var process = Process.Start(start) ?? throw new ExecutorException($"could not start {runtimePath}");
        // The step gets an empty stdin, as in docker build.
        process.StandardInput.Close();

        var reportLock = new Lock();
        void Report(OutputLine line)
        {
            if (output is null) return;
            lock (reportLock) output.Report(line);
        }
        var pumps = Task.WhenAll(
            OutputPump.PumpAsync(process.StandardOutput.BaseStream, OutputStream.Stdout, Report),
            OutputPump.PumpAsync(process.StandardError.BaseStream, OutputStream.Stderr, Report));

        var exited = process.WaitForExitAsync(CancellationToken.None);
        var cancelled = false;
        var cancellation = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (ct.Register(() => cancellation.TrySetResult()).ConfigureAwait(false))
        {
            if (await Task.WhenAny(exited, cancellation.Task).ConfigureAwait(false) != exited)
            {
                cancelled = true;
                await KillAsync(step, process, exited).ConfigureAwait(false);
            }
        }
        await exited.ConfigureAwait(false);
        await pumps.ConfigureAwait(false);

        var exitCode = process.ExitCode;
        if (cancelled || exitCode == 0) return new RuntimeOutcome(exitCode, null, cancelled);
        var runtimeError = RuntimeErrorFromLog(step.RuntimeLog);
        return new RuntimeOutcome(RuntimeErrorExitCode(runtimeError) ?? exitCode, runtimeError, cancelled);
    }

    /// <summary>
    /// Kills every process of the container (SIGKILL to its pid 1 ends its pid namespace), then waits for
    /// the runtime to notice. `runc kill` fails while the container is still being created, so it is
    /// repeated until the runtime exits; past the timeout the runtime itself is killed, and
    /// `runc delete --force` removes whatever it left.
    /// </summary>
    private async Task KillAsync(StepPaths step, Process runtime, Task exited)
    {
        var deadline = Stopwatch.StartNew();
        do
        {
            await RunRuntimeCommandAsync("kill", step.Id, "KILL").ConfigureAwait(false);
            if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromMilliseconds(200))).ConfigureAwait(false) == exited) return;
        } while (deadline.Elapsed < options.KillTimeout);

        try { runtime.Kill(); } catch (InvalidOperationException) { /* already exited */ }
        await RunRuntimeCommandAsync("delete", "--force", step.Id).ConfigureAwait(false);
    }

    /// <summary>Undoes everything RunAsync set up, in reverse order; returns the first problem, if any.</summary>
    private async Task<Exception?> CleanupAsync(StepPaths step, bool runtimeStarted, IStepRootfs? rootfs, MountStubs? stubs,
        string upperDir, bool createdBundle, bool keepChanges)
    {
        Exception? first = null;
        void Try(Action action)
        {
            try { action(); }
            catch (Exception e) { first ??= e; }
        }

        // The runtime's state directory exists while it knows the container: a kept, killed or crashed one.
        if (runtimeStarted && Directory.Exists(Path.Combine(options.StateDirectory, step.Id)))
        {
            var (exitCode, error) = await RunRuntimeCommandAsync("delete", "--force", step.Id).ConfigureAwait(false);
            if (exitCode != 0 && !error.Contains("does not exist", StringComparison.Ordinal))
                first ??= new ExecutorException($"runc delete {step.Id}: {error.Trim()}");
        }
        var unmounted = rootfs is null;
        if (rootfs is not null)
        {
            Try(() => stubs?.RemoveStubs());
            // A failed or cancelled step's changes are thrown away: the native snapshotter need not diff them.
            Try(() => { if (keepChanges) rootfs.Complete(); else rootfs.Dispose(); unmounted = true; });
            if (!unmounted) Try(rootfs.Dispose);
            if (unmounted) Try(() => stubs?.RemoveCopiedUpParents(upperDir));
        }

        // Remove only what we created: never a recursive delete that could reach into a mount.
        Try(() =>
        {
            foreach (var file in new[] { ConfigFile, RuntimeLogFile, "hosts", "resolv.conf", "hostname" })
                File.Delete(Path.Combine(step.Bundle, file));
            DeleteEmptyDirectory(Path.Combine(step.Bundle, EmptyLowerDir));
            if (unmounted) DeleteEmptyDirectory(step.Rootfs);
            if (createdBundle) DeleteEmptyDirectory(step.Bundle);
        });
        return first;
    }

    private static void DeleteEmptyDirectory(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: false);
    }

    private ProcessStartInfo RuntimeStartInfo(params string[] arguments)
    {
        var start = new ProcessStartInfo(runtimePath!)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--root");
        start.ArgumentList.Add(options.StateDirectory);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in ScrubbedVariables) start.Environment.Remove(name);
        return start;
    }

    /// <summary>Runs a short runtime command (kill, delete) and returns its exit code and error output.</summary>
    private async Task<(int ExitCode, string Error)> RunRuntimeCommandAsync(params string[] arguments)
    {
        using var process = Process.Start(RuntimeStartInfo(arguments))
            ?? throw new ExecutorException($"could not start {runtimePath}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        await stdout.ConfigureAwait(false);
        return (process.ExitCode, await stderr.ConfigureAwait(false));
    }

    /// <summary>
    /// The runtime logs its own failures (as opposed to the step's) as JSON lines with level "error",
    /// e.g. an executable that does not exist. Returns the last such message.
    /// </summary>
    private static string? RuntimeErrorFromLog(string logPath)
    {
        if (!File.Exists(logPath)) return null;
        string? message = null;
        foreach (var line in File.ReadLines(logPath))
        {
            try
            {
                using var entry = JsonDocument.Parse(line);
                if (entry.RootElement.TryGetProperty("level", out var level) && level.ValueEquals("error") &&
                    entry.RootElement.TryGetProperty("msg", out var msg))
                    message = msg.GetString();
            }
            catch (JsonException)
            {
                // Not every line a runtime writes is JSON; ignore the rest.
            }
        }
        return message;
    }

    /// <summary>Shell conventions for a command that cannot be run: 127 not found, 126 not executable.</summary>
    private static int? RuntimeErrorExitCode(string? error) => error switch
    {
        null => null,
        _ when error.Contains("executable file not found", StringComparison.Ordinal) ||
               error.Contains("no such file or directory", StringComparison.Ordinal) && error.Contains("exec", StringComparison.Ordinal) => 127,
        _ when error.Contains("permission denied", StringComparison.Ordinal) && error.Contains("exec", StringComparison.Ordinal) => 126,
        _ => null,
    };
}
