using System.Diagnostics;
using System.Text;
using Csbuild.Frontend.Tests.Fuzz;
using Csbuild.Hardening.Support;

namespace Csbuild.Hardening.Fuzz;

/// <summary>
/// Issue 11, item 2: the frontend's fuzz pipeline (every frontend stage; only Dockerfile errors may come out),
/// reused from Csbuild.Frontend.Tests and fed Dockerfiles built from hostile path pieces (.., /proc/self/fd,
/// absolute and escaped paths, --mount options) and byte-level mutations of them, for a bounded time.
/// </summary>
public sealed class HostilePathFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    private static readonly string[] Instructions =
        ["COPY ", "ADD ", "WORKDIR ", "RUN --mount=type=bind,source=", "RUN --mount=type=cache,target=", "RUN --mount=type=tmpfs,target=",
         "RUN --mount=type=secret,id=s,target=", "COPY --from=0 ", "COPY --chown=0:0 ", "ADD --chmod=4755 ", "VOLUME ", "ENV P=", "ARG P="];

    private static readonly string[] PathPieces =
        ["..", "../", "/..", "/../../../", "./", "/proc/self/fd/3", "/proc/self/cwd", "/proc/1/root", "/sys/fs", "/dev/sda", "/etc/passwd",
         "$P", "${P:-../..}", "\\", "\\..", "*", "?", "[a-z]", "//", "/.", "~", "%2e%2e", "\u2024\u2024", "\0", " ", "\"", "'", "dst/",
         "/", "a", "<<EOF\n../x\nEOF\n", ",target=/..", ",source=../..", ",from=0", ",rw", "=", ":"];

    [Fact]
    public async Task HostilePathDockerfiles_OnlyEverFailWithDockerfileErrors()
    {
        var random = new Random(20261122);
        var clock = Stopwatch.StartNew();
        int runs = 0;
        while (clock.Elapsed < Budget)
        {
            var text = Generate(random);
            var input = runs % 2 == 0 ? Encoding.UTF8.GetBytes(text) : Mutate(random, Encoding.UTF8.GetBytes(text));
            try
            {
                await FrontendPipeline.RunAsync(input);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"run {runs}: {e.GetType().Name}: {e.Message}\ninput: {Convert.ToBase64String(input)}\n{e}");
            }
            runs++;
        }
        Assert.True(runs > 200, $"only {runs} inputs in {Budget}");
        Figures.Record("fuzzed hostile-path Dockerfiles", runs);
    }

    private static string Generate(Random random)
    {
        var text = new StringBuilder("FROM busybox AS s0\nARG P=../..\n");
        for (int line = random.Next(1, 8); line > 0; line--)
        {
            text.Append(Instructions[random.Next(Instructions.Length)]);
            for (int piece = random.Next(1, 6); piece > 0; piece--) text.Append(PathPieces[random.Next(PathPieces.Length)]);
            if (random.Next(2) == 0) text.Append(' ').Append(PathPieces[random.Next(PathPieces.Length)]);
            text.Append(random.Next(3) == 0 ? " true\n" : "\n");
        }
        return text.ToString();
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var data = new List<byte>(seed);
        for (int m = random.Next(1, 6); m > 0 && data.Count > 0; m--)
        {
            int at = random.Next(data.Count);
            switch (random.Next(4))
            {
                case 0: data[at] = (byte)random.Next(256); break;
                case 1: data.RemoveRange(at, Math.Min(random.Next(1, 12), data.Count - at)); break;
                case 2: data.InsertRange(at, Encoding.UTF8.GetBytes(PathPieces[random.Next(PathPieces.Length)])); break;
                default: data.Insert(at, (byte)random.Next(0x80, 0x100)); break;
            }
        }
        return [.. data];
    }
}
