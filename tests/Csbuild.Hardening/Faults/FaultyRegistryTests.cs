using System.Diagnostics;
using Csbuild.Hardening.Support;
using Csbuild.TestSupport;
using Xunit.Abstractions;

namespace Csbuild.Hardening.Faults;

/// <summary>
/// Issue 11, item 4: registries that answer 500 or 429, cut answers short or answer slowly. A push and a pull
/// through such a registry recover by retrying and give the same image; one that always fails makes csbuild
/// give up in bounded time with an error that says what failed.
/// </summary>
[Collection("csbuild")]
public sealed class FaultyRegistryTests(BusyboxBase busybox, ITestOutputHelper output)
{
    /// <summary>Every request number gets a fault by a fixed rule (one kind, or all mixed); retries are later numbers, so they get through.</summary>
    [Theory]
    [InlineData(Fault.Error500)]
    [InlineData(Fault.TooManyRequests)]
    [InlineData(Fault.CutShort)]
    [InlineData(Fault.Slow)]
    [InlineData(Fault.None)] // all four mixed
    public void PushAndPull_ThroughAFlakyRegistry_RecoverWithRetries(Fault only)
    {
        using var registry = RegistryFixture.Start(new RegistryFixtureOptions());
        var cut = new HashSet<string>();
        using var proxy = new FaultyProxy(registry, (n, request) => (n % 9) switch
        {
            _ when only is Fault.CutShort => request.Method == "GET" && cut.Add(request.PathAndQuery) ? Fault.CutShort : Fault.None, // every download once
            1 when only is Fault.None or Fault.Error500 => Fault.Error500,
            3 when only is Fault.None or Fault.TooManyRequests => Fault.TooManyRequests,
            5 when only is Fault.None or Fault.CutShort => Fault.CutShort,
            7 when only is Fault.None or Fault.Slow => Fault.Slow,
            _ => Fault.None,
        });
        using var dir = new TempDirectory("csbuild-flaky-registry");
        var root = busybox.NewRoot(dir);
        dir.Write("ctx/Dockerfile", "FROM busybox:latest\nCOPY data.bin /data.bin\nRUN echo built > /built\n");
        var data = new byte[3 << 20];
        new Random(9).NextBytes(data);
        File.WriteAllBytes(dir.Combine("ctx", "data.bin"), data);
        var image = $"{proxy.Host}/flaky/app:1";
        var iid = dir.Combine("iid");
        var env = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = "1700000000" };

        var push = CsbuildProgram.Run(root, env, "build", "--progress=plain", "-t", image, "--push", "--iidfile", iid, dir.Combine("ctx"));
        Assert.True(push.ExitCode == 0, push.ToString());

        var other = busybox.NewRoot(dir, dir.Combine("other-root"));
        var pull = CsbuildProgram.Run(other, "pull", image);
        Assert.True(pull.ExitCode == 0, pull.ToString());
        var digests = CsbuildProgram.Run(other, "images", "--quiet");
        output.WriteLine($"{proxy.FaultsInjected} faults in {proxy.Requests} requests");
        Assert.Contains(File.ReadAllText(iid).Trim(), digests.Stdout.Split('\n').Select(l => l.Trim()));
        Assert.True(proxy.FaultsInjected >= 2, $"only {proxy.FaultsInjected} faults were injected");
        Figures.Record("registry faults injected (500, 429, dropped, slow)", proxy.FaultsInjected);
    }

    /// <summary>
    /// `csbuild push` compresses a layer built here straight into one streamed PATCH. A registry that refuses that stream
    /// (here: a 500 to every PATCH without Content-Range, as from a proxy that cannot take a body of unknown length)
    /// still gets the image: the layer is compressed into the store and uploaded the usual, retried way.
    /// </summary>
    [Fact]
    public void APushWhoseStreamedUploadIsRefused_FallsBackToTheRetriedUpload_AndTheImageArrives()
    {
        using var registry = RegistryFixture.Start(new RegistryFixtureOptions());
        using var proxy = new FaultyProxy(registry, (_, request) =>
            request.Method == "PATCH" && request.ContentRange is null ? Fault.Error500 : Fault.None);
        using var dir = new TempDirectory("csbuild-stream-refused");
        var root = busybox.NewRoot(dir);
        dir.Write("ctx/Dockerfile", "FROM busybox:latest\nCOPY data.bin /data.bin\n");
        var data = new byte[2 << 20];
        new Random(12).NextBytes(data);
        File.WriteAllBytes(dir.Combine("ctx", "data.bin"), data);
        Assert.Equal(0, CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "streamed:1", dir.Combine("ctx")).ExitCode);

        var image = $"{proxy.Host}/refused/app:1";
        var push = CsbuildProgram.Run(root, "push", "streamed:1", image);
        Assert.True(push.ExitCode == 0, push.ToString());
        Assert.True(proxy.FaultsInjected >= 1, "the streamed upload should have been tried and refused");

        var other = busybox.NewRoot(dir, dir.Combine("other-root"));
        var pull = CsbuildProgram.Run(other, "pull", image);
        Assert.True(pull.ExitCode == 0, pull.ToString());
        var bundle = dir.Combine("bundle");
        // skopeo reads the registry behind the proxy (the proxy does not pass on its Accept headers).
        var copy = ProcessRunner.Run("skopeo", "copy", "--src-tls-verify=false", $"docker://{registry.Reference("refused/app:1")}", $"oci:{dir.Combine("layout")}:app");
        Assert.True(copy.ExitCode == 0, copy.ToString());
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{dir.Combine("layout")}:app", bundle);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(bundle, "rootfs", "data.bin")));
    }

    [Theory]
    [InlineData(Fault.Error500, "500")]
    [InlineData(Fault.TooManyRequests, "429")]
    public void ARegistryThatAlwaysFails_IsReportedClearly_InBoundedTime(Fault fault, string status)
    {
        using var registry = RegistryFixture.Start(new RegistryFixtureOptions());
        using var proxy = new FaultyProxy(registry, (_, request) => request.PathAndQuery == "/v2/" ? Fault.None : fault);
        using var dir = new TempDirectory("csbuild-broken-registry");
        var clock = Stopwatch.StartNew();
        var pull = CsbuildProgram.Run(dir.Combine("root"), "pull", $"{proxy.Host}/broken/app:1");
        output.WriteLine($"{clock.Elapsed}: {pull}");
        Assert.Equal(3, pull.ExitCode);
        var error = Assert.Single(pull.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains(status, error);
        Assert.Contains("manifest", error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"gave up only after {clock.Elapsed}");
        Assert.True(proxy.FaultsInjected >= 2, "the client should have retried");
        Figures.Record("registry faults injected (500, 429, dropped, slow)", proxy.FaultsInjected);
    }
}
