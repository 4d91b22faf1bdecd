using System.Text.Json;
using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

[Collection("busybox")]
public sealed class BuildTests(BusyboxStoreFixture busybox)
{
    private const string Dockerfile = """
        FROM busybox:latest
        ENV APP_GREETING=hello-from-env
        WORKDIR /app
        COPY greeting.txt ./
        COPY scripts/ /app/scripts/
        RUN echo "run-step $(cat /app/greeting.txt)" > /app/out.txt && rm /bin/vi && sh /app/scripts/tool.sh >> /app/out.txt
        RUN ["/bin/sh", "-c", "echo exec-form >> /app/out.txt"]
        LABEL test.label=yes
        ENTRYPOINT ["/bin/sh", "-c"]
        CMD ["cat /app/out.txt; echo $APP_GREETING"]
        """;

    private static void WriteContext(TempDirectory dir)
    {
        dir.Write("ctx/Dockerfile", Dockerfile);
        dir.Write("ctx/greeting.txt", "hello");
        dir.Write("ctx/scripts/tool.sh", "echo tool-v1\n");
    }

    [Fact]
    public void MultiStepImage_IsReadByTheOciTools_AndRunsWithRunc()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        WriteContext(dir);

        var build = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "e2e:1", dir.Combine("ctx"));
        Assert.True(build.ExitCode == 0, build.ToString());

        // skopeo reads the local store as an OCI layout.
        var inspect = ProcessRunner.Run("skopeo", "inspect", $"oci:{root}:e2e:1");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        var info = JsonNode.Parse(inspect.Stdout)!;
        Assert.Equal("yes", info["Labels"]!["test.label"]!.GetValue<string>());
        Assert.Equal(6, info["Layers"]!.AsArray().Count); // busybox, WORKDIR, two COPYs, two RUNs
        var config = JsonNode.Parse(ProcessRunner.Run("skopeo", "inspect", "--config", $"oci:{root}:e2e:1").Stdout)!;
        Assert.Equal("/app", config["config"]!["WorkingDir"]!.GetValue<string>());
        Assert.Contains("APP_GREETING=hello-from-env", config["config"]!["Env"]!.AsArray().Select(e => e!.GetValue<string>()));

        // umoci unpacks it, honouring the whiteout of /bin/vi.
        var bundle = dir.Combine("bundle");
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{root}:e2e:1", bundle);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        Assert.False(File.Exists(Path.Combine(bundle, "rootfs", "bin", "vi")) || new FileInfo(Path.Combine(bundle, "rootfs", "bin", "vi")).LinkTarget is not null);
        Assert.True(File.Exists(Path.Combine(bundle, "rootfs", "bin", "sh")) || new FileInfo(Path.Combine(bundle, "rootfs", "bin", "sh")).LinkTarget is not null);

        // And runc runs it with the image's entrypoint, cmd and env.
        var specPath = Path.Combine(bundle, "config.json");
        var spec = JsonNode.Parse(File.ReadAllText(specPath))!;
        spec["process"]!["terminal"] = false;
        File.WriteAllText(specPath, spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var run = ProcessRunner.Run("runc", ["run", "--bundle", bundle, "e2e-" + Guid.NewGuid().ToString("N")[..8]]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("run-step hello\ntool-v1\nexec-form\nhello-from-env\n", run.Stdout.Replace("\r\n", "\n"));
    }

    [Fact]
    public void Rebuild_IsFullyCached_AndAChangedFile_RerunsOnlyFromItsCopy()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        WriteContext(dir);
        var ctx = dir.Combine("ctx");

        var first = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "cache:1", ctx);
        Assert.True(first.ExitCode == 0, first.ToString());
        var firstDigest = ImageDigest(root, "cache:1");

        var second = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "cache:1", ctx);
        Assert.True(second.ExitCode == 0, second.ToString());
        var again = new PlainProgress(second.Stderr);
        Assert.Empty(again.StepsWith("DONE"));
        foreach (var step in new[] { "WORKDIR", "COPY greeting.txt", "COPY scripts/", "RUN echo", "exec-form" })
            Assert.Equal("CACHED", again.OutcomeOf(step));
        Assert.Equal(firstDigest, ImageDigest(root, "cache:1"));

        File.WriteAllText(Path.Combine(ctx, "scripts", "tool.sh"), "echo tool-v2\n");
        var third = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "cache:1", ctx);
        Assert.True(third.ExitCode == 0, third.ToString());
        var changed = new PlainProgress(third.Stderr);
        Assert.Equal("CACHED", changed.OutcomeOf("WORKDIR"));
        Assert.Equal("CACHED", changed.OutcomeOf("COPY greeting.txt"));
        Assert.Equal("DONE", changed.OutcomeOf("COPY scripts/"));
        Assert.Equal("DONE", changed.OutcomeOf("RUN echo"));
        Assert.Equal("DONE", changed.OutcomeOf("exec-form"));
        Assert.NotEqual(firstDigest, ImageDigest(root, "cache:1"));
    }

    [Fact]
    public void ImportAndImages_ListTheStore()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var images = CsbuildProgram.Run(root, "images");
        Assert.True(images.ExitCode == 0, images.ToString());
        var lines = images.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("REPOSITORY", lines[0]);
        var busyboxLine = Assert.Single(lines, l => l.StartsWith("busybox ", StringComparison.Ordinal));
        Assert.Contains("latest", busyboxLine);
        Assert.Contains(ImageDigest(root, "busybox:latest")[..19], busyboxLine);
    }

    internal static string ImageDigest(string root, string name)
    {
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "index.json")))!;
        return index["manifests"]!.AsArray()
            .Single(m => m!["annotations"]!["org.opencontainers.image.ref.name"]!.GetValue<string>() == name)!["digest"]!.GetValue<string>();
    }
}
