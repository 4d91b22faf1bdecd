using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// Builds with CSBUILD_SNAPSHOTTER=native (no overlayfs: each RUN step runs in a copy of its layers) must give
/// the same layers as overlayfs, and images that the OCI tools read the same way.
/// </summary>
[Collection("busybox")]
public sealed class NativeSnapshotterTests(BusyboxStoreFixture busybox)
{
    private const string Dockerfile = """
        FROM busybox:latest AS data
        RUN echo payload > /file

        FROM busybox:latest
        RUN rm /bin/vi && rm -r /home && mkdir /home && echo new > /home/new \
            && echo hi > /hello && ln /hello /hello2 && chmod 4755 /hello && ln -s /hello /hello-link
        RUN --mount=type=bind,from=data,target=/mnt,rw echo scribble > /mnt/file && cp /mnt/file /copied
        RUN --mount=type=cache,target=/cache echo cached > /cache/c && echo done > /done
        """;

    private static readonly Dictionary<string, string?> Reproducible = new() { ["SOURCE_DATE_EPOCH"] = "1000000000" };

    [Fact]
    public void NativeBuildMatchesOverlayLayerForLayer_AndUmociHonoursItsWhiteouts()
    {
        using var dir = new TempDirectory();
        dir.Write("ctx/Dockerfile", Dockerfile);
        var overlayRoot = busybox.NewRootWithBusybox(dir);
        using var nativeDir = new TempDirectory();
        var nativeRoot = busybox.NewRootWithBusybox(nativeDir);

        var overlay = CsbuildProgram.Run(overlayRoot, new Dictionary<string, string?>(Reproducible) { ["CSBUILD_SNAPSHOTTER"] = "overlayfs" },
            "build", "--progress=plain", "-t", "snap:1", dir.Combine("ctx"));
        Assert.True(overlay.ExitCode == 0, overlay.ToString());
        var native = CsbuildProgram.Run(nativeRoot, new Dictionary<string, string?>(Reproducible) { ["CSBUILD_SNAPSHOTTER"] = "native" },
            "build", "--progress=plain", "-t", "snap:1", dir.Combine("ctx"));
        Assert.True(native.ExitCode == 0, native.ToString());

        // Same bytes in every layer: the native diff is indistinguishable from the overlay upper dir.
        Assert.Equal(DiffIds(overlayRoot), DiffIds(nativeRoot));
        Assert.Equal(4, DiffIds(nativeRoot).Count); // busybox + three RUNs

        var bundle = nativeDir.Combine("bundle");
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{nativeRoot}:snap:1", bundle);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        var rootfs = Path.Combine(bundle, "rootfs");
        Assert.False(Path.Exists(Path.Combine(rootfs, "bin/vi")));
        Assert.True(Path.Exists(Path.Combine(rootfs, "bin/sh")));
        Assert.Equal(["new"], Directory.EnumerateFileSystemEntries(Path.Combine(rootfs, "home")).Select(Path.GetFileName));
        Assert.Equal("hi\n", File.ReadAllText(Path.Combine(rootfs, "hello2")));
        Assert.Equal((UnixFileMode)0x9ED, File.GetUnixFileMode(Path.Combine(rootfs, "hello")));
        Assert.Equal("/hello", new FileInfo(Path.Combine(rootfs, "hello-link")).LinkTarget);
        Assert.Equal("scribble\n", File.ReadAllText(Path.Combine(rootfs, "copied")));
        Assert.False(Path.Exists(Path.Combine(rootfs, "file")));     // the bind source's writes were discarded
        Assert.False(Path.Exists(Path.Combine(rootfs, "cache/c"))); // cache mounts stay out of the layer
        Assert.Equal("done\n", File.ReadAllText(Path.Combine(rootfs, "done")));
    }

    private static List<string> DiffIds(string root)
    {
        var inspect = ProcessRunner.Run("skopeo", "inspect", "--config", $"oci:{root}:snap:1");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        return JsonNode.Parse(inspect.Stdout)!["rootfs"]!["diff_ids"]!.AsArray().Select(d => d!.GetValue<string>()).ToList();
    }
}
