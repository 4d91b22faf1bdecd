using Csbuild.Oci.Model;

namespace Csbuild.Cli.Startup;

/// <summary>
/// One-time initialisation that a no-op rebuild otherwise pays for on its critical path: the first JSON
/// (de)serialisation builds the source-generated metadata (~25 ms), the first SQLite connection loads the
/// native library, and the Dockerfile grammar builds its parsers. Started on a pool thread before the command line is even parsed, it overlaps with the main
/// thread's own start-up work on the second core. Failures are ignored: the real code paths report them.
/// </summary>
internal static class StartupWarmup
{
    private static readonly string[] Quick = ["--version", "-v", "--help", "-h", "-?", "completion", "version", "help"];

    public static void Start(string[] args)
    {
        if (args.Length > 0 && Quick.Contains(args[0], StringComparer.Ordinal)) return;
        ThreadPool.UnsafeQueueUserWorkItem(static _ =>
        {
            try
            {
                OciJson.DeserializeConfig("""{"architecture":"amd64","os":"linux","config":{"Env":["A=b"]},"rootfs":{"type":"layers","diff_ids":[]},"history":[]}"""u8);
                OciJson.DeserializeManifest("""{"schemaVersion":2,"config":{"mediaType":"m","digest":"sha256:00","size":1},"layers":[]}"""u8);
                OciJson.DeserializeIndex("""{"schemaVersion":2,"manifests":[]}"""u8);
                SQLitePCL.Batteries_V2.Init();
                // The Dockerfile grammar's combinators are built on first use.
                Frontend.DockerfileFrontend.Check("FROM scratch AS base\nARG A=1\nENV B=$A\nRUN --mount=type=cache,target=/c echo\nCOPY --from=base a b\n");
            }
            catch (Exception)
            {
                // Only a head start; the commands do the same work again and report real errors.
            }
        }, null);
    }
}
