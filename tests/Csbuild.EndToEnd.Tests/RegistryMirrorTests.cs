using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// Pull mirrors from the config file (<c>[registry."HOST"] mirrors = [...]</c>), with real registries on loopback: a
/// mirror serves pulls and builds of a registry that is down; a dead mirror and a mirror without the image fall back to
/// the registry itself, promptly (a mirror is not retried).
/// </summary>
[Collection("busybox")]
public sealed class RegistryMirrorTests(BusyboxStoreFixture busybox)
{
    [Fact]
    public void AMirror_ServesPullsAndBuilds_OfARegistryThatIsDown()
    {
        using var mirror = RegistryFixture.Start(new RegistryFixtureOptions());
        using var dir = new TempDirectory();
        var source = busybox.NewRootWithBusybox(dir);
        var push = CsbuildProgram.Run(source, "push", "busybox:latest", mirror.Reference("e2e/mirrored:1"));
        Assert.True(push.ExitCode == 0, push.ToString());
        var origin = $"127.0.0.1:{ClosedPort()}";
        var env = Config(dir, $"""
            [registry."{origin}"]
            mirrors = ["{mirror.Host}"]
            """);

        var pull = CsbuildProgram.Run(dir.Combine("root-pull"), env, "pull", $"{origin}/e2e/mirrored:1");
        Assert.True(pull.ExitCode == 0, pull + "\n" + mirror.RecentLog);
        Assert.Contains("Pull complete", pull.Stdout);
        var images = CsbuildProgram.Run(dir.Combine("root-pull"), "images");
        Assert.Contains($"{origin}/e2e/mirrored", images.Stdout); // named as asked, not after the mirror

        dir.Write("ctx/Dockerfile", $"FROM {origin}/e2e/mirrored:1\nRUN echo through-the-mirror > /proof\n");
        var build = CsbuildProgram.Run(dir.Combine("root-build"), env, "build", "--progress=plain", "-o", $"type=local,dest={dir.Combine("out")}", dir.Combine("ctx"));
        Assert.True(build.ExitCode == 0, build + "\n" + mirror.RecentLog);
        Assert.Equal("through-the-mirror\n", File.ReadAllText(dir.Combine("out/proof")));
        Assert.True(Regex.Matches(mirror.RecentLog, "\"GET /v2/e2e/mirrored/manifests/1 [^\"]*\" 200").Count >= 2, mirror.RecentLog);

        // Without the mirror the same pull fails: the registry really is down.
        var direct = CsbuildProgram.Run(dir.Combine("root-direct"), "pull", $"{origin}/e2e/mirrored:1");
        Assert.NotEqual(0, direct.ExitCode);
    }

    [Fact]
    public void ADeadMirror_AndOneWithoutTheImage_FallBackToTheRegistry_Promptly()
    {
        using var registry = RegistryFixture.Start(new RegistryFixtureOptions());
        using var emptyMirror = RegistryFixture.Start(new RegistryFixtureOptions());
        using var dir = new TempDirectory();
        var source = busybox.NewRootWithBusybox(dir);
        var reference = registry.Reference("e2e/fallback:1");
        var push = CsbuildProgram.Run(source, "push", "busybox:latest", reference);
        Assert.True(push.ExitCode == 0, push.ToString());
        var env = Config(dir, $"""
            [registry."{registry.Host}"]
            mirrors = ["127.0.0.1:{ClosedPort()}", "{emptyMirror.Host}"]
            """);

        var clock = Stopwatch.StartNew();
        var pull = CsbuildProgram.Run(dir.Combine("root-b"), env, "pull", reference);
        clock.Stop();
        Assert.True(pull.ExitCode == 0, pull.ToString());
        Assert.Contains("Pull complete", pull.Stdout);
        Assert.Matches("\"GET /v2/e2e/fallback/manifests/1 [^\"]*\" 404", emptyMirror.RecentLog); // asked, then passed over
        // The registry's retry policy waits 7.5 s in all before giving up on a host; a mirror is asked once.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"the pull took {clock.Elapsed}: the dead mirror was retried");
    }

    private static Dictionary<string, string?> Config(TempDirectory dir, string toml) =>
        new() { ["CSBUILD_CONFIG"] = dir.Write("config.toml", toml) };

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
