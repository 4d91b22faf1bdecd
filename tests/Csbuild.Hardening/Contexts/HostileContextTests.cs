using System.Formats.Tar;
using Csbuild.Hardening.Support;
using Csbuild.Oci.Model;
using Csbuild.TestSupport;
using Xunit.Abstractions;

namespace Csbuild.Hardening.Contexts;

/// <summary>
/// Issue 11, item 2: hostile build contexts and Dockerfiles. Symlinks in the context are copied as links, never
/// followed out of it; "../" sources, archives with traversal entries, and WORKDIR or --mount paths that climb
/// with "..", go through symlinks an image planted, or point into /proc/self/fd are refused or stay inside the
/// build. A sentinel directory outside is never touched and its content never reaches an output.
/// </summary>
[Collection("csbuild")]
public sealed class HostileContextTests(BusyboxBase busybox, ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> NoEnv = [];

    [Fact]
    public void HostileContextsAndDockerfiles_AreRefusedOrContained()
    {
        using var dir = new TempDirectory("csbuild-hostile-ctx");
        using var sentinel = new Sentinel();
        var root = busybox.NewRoot(dir);
        var outside = sentinel.Path.TrimStart('/');
        var victim = sentinel.Path + "/victim.txt";

        // An image whose layer plants links to the sentinel, as a hostile base image would.
        var planted = new HandTar().Symlink("wd", sentinel.Path).Symlink("up", "../../../../../../" + outside).ToArray();
        var plantedLayer = new HandLayer(GzipBytes(planted), Digest.Of(planted), MediaTypes.OciLayerGzip);
        new HandImage(busybox, plantedLayer).WriteOciArchive(dir.Combine("planted.tar"), "planted:1");
        Assert.Equal(0, CsbuildProgram.Run(root, "load", "-i", dir.Combine("planted.tar")).ExitCode);

        var cases = new (string Name, string Dockerfile, bool MustFail)[]
        {
            ("COPY of symlinks pointing outside copies the links",
                $"FROM busybox:latest\nCOPY abs rel /dst/\nRUN test -L /dst/abs && test \"$(readlink /dst/abs)\" = {victim} && test -L /dst/rel\n", false),
            ("COPY through a directory symlink pointing outside", "FROM busybox:latest\nCOPY dirlink/victim.txt /x\n", true),
            ("COPY ../ of a file outside the context", "FROM busybox:latest\nCOPY ../outside.txt /x\n", true),
            ("COPY of a deep ../ path", $"FROM busybox:latest\nCOPY ../../../../../../{outside}/victim.txt /x\n", true),
            ("ADD of a tar with ../ entries", "FROM busybox:latest\nADD dotdot.tar /dst/\n", true),
            ("ADD of a tar writing through its own symlink", "FROM busybox:latest\nADD linkwrite.tar /dst/\n", true),
            ("ADD of a tar with absolute entries stays in the destination",
                $"FROM busybox:latest\nADD absolute.tar /dst/\nRUN grep -qx inside /dst/{outside}/victim.txt\n", false),
            ("WORKDIR climbing with ..", $"FROM busybox:latest\nWORKDIR /../../../../{outside}/wd\nRUN pwd > /pwd && test \"$(cat /pwd)\" = /{outside}/wd\n", false),
            ("WORKDIR through a planted symlink", "FROM planted:1\nWORKDIR /wd/created\nRUN touch made-here\nWORKDIR /up/created2\nRUN touch made-here\n", false),
            ("WORKDIR in /proc/self/fd", "FROM busybox:latest\nWORKDIR /proc/self/fd/3\nRUN true\n", true),
            ("WORKDIR in /proc/self/cwd", "FROM busybox:latest\nWORKDIR /proc/self/cwd/x\nRUN true\n", true),
            ("RUN --mount target climbing with ..", $"FROM busybox:latest\nRUN --mount=type=tmpfs,target=/../../{outside}/m touch /{outside}/m/x\n", false),
            ("RUN --mount cache target through a planted symlink", "FROM planted:1\nRUN --mount=type=cache,target=/wd/cache touch /wd/cache/x\n", false),
            ("RUN --mount bind target through a planted symlink", "FROM planted:1\nRUN --mount=type=bind,target=/up/bound test -f /up/bound/Dockerfile\n", false),
            ("RUN --mount bind source a context symlink pointing outside", "FROM busybox:latest\nRUN --mount=type=bind,source=abs,target=/m cat /m\n", true),
            ("RUN --mount target in /proc/self/fd", "FROM busybox:latest\nRUN --mount=type=tmpfs,target=/proc/self/fd/5 true\n", true),
            ("RUN --mount bind source climbing out of the context", "FROM busybox:latest\nRUN --mount=type=bind,source=../outside.txt,target=/m cat /m\n", true),
        };

        int index = 0;
        foreach (var (name, dockerfile, mustFail) in cases)
        {
            var ctx = WriteContext(dir, $"ctx{index}", sentinel, dockerfile);
            var tarOut = dir.Combine($"out{index++}.tar");
            var build = CsbuildProgram.Run(root, NoEnv, "build", "--progress=plain", "-o", $"type=tar,dest={tarOut}", ctx);
            var error = build.Stderr.Split('\n').LastOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)) ?? "";
            output.WriteLine($"{name}: exit {build.ExitCode} {error}");
            if (mustFail)
            {
                Assert.True(build.ExitCode != 0, $"{name}: expected a refusal\n{build}");
                Assert.True(error.Length > "error: ".Length && !error.Contains("Exception", StringComparison.Ordinal), $"{name}: unclear error\n{build}");
            }
            else Assert.True(build.ExitCode == 0, $"{name}: expected the build to succeed, contained\n{build}");

            sentinel.AssertUntouched(name);
            if (File.Exists(tarOut))
            {
                var scanner = new LeakScanner(["original content", "outside the context"]);
                scanner.ScanFile(tarOut);
                Assert.True(scanner.Findings.Count == 0, $"{name}: host content reached the output: {string.Join("; ", scanner.Findings)}");
            }
            Assert.Empty(RootInspector.MountsUnder(root));
        }
        Figures.Record("hostile contexts and Dockerfiles tried", cases.Length);
    }

    private static string WriteContext(TempDirectory dir, string name, Sentinel sentinel, string dockerfile)
    {
        var ctx = dir.Combine(name);
        Directory.CreateDirectory(ctx);
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), dockerfile);
        File.WriteAllText(dir.Combine("outside.txt"), "outside the context\n");
        File.CreateSymbolicLink(Path.Combine(ctx, "abs"), sentinel.Path + "/victim.txt");
        File.CreateSymbolicLink(Path.Combine(ctx, "rel"), "../../../../../../../../" + sentinel.Path.TrimStart('/') + "/victim.txt");
        Directory.CreateSymbolicLink(Path.Combine(ctx, "dirlink"), sentinel.Path);
        File.WriteAllBytes(Path.Combine(ctx, "dotdot.tar"), new HandTar().File("../../../../../../" + sentinel.Path.TrimStart('/') + "/victim.txt", "pwned").ToArray());
        File.WriteAllBytes(Path.Combine(ctx, "linkwrite.tar"), new HandTar().Symlink("l", sentinel.Path).File("l/victim.txt", "pwned").ToArray());
        File.WriteAllBytes(Path.Combine(ctx, "absolute.tar"), new HandTar().File(sentinel.Path + "/victim.txt", "inside\n").ToArray());
        return ctx;
    }

    private static byte[] GzipBytes(byte[] data)
    {
        var outStream = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(outStream, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return outStream.ToArray();
    }
}
