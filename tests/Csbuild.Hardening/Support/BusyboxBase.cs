using System.IO.Compression;
using Csbuild.Oci.Model;
using Csbuild.TestSupport;

namespace Csbuild.Hardening.Support;

/// <summary>
/// A busybox root filesystem from Debian's busybox-static: as a tarball for <c>csbuild import</c>, and as a
/// gzip layer blob with its diff_id for images the tests assemble by hand (hostile layers go on top of it,
/// so a RUN step has a shell).
/// </summary>
public sealed class BusyboxBase : IDisposable
{
    private readonly TempDirectory _dir = new("csbuild-hardening-busybox");

    public BusyboxBase()
    {
        RootfsTarball = BusyboxRootfs.CreateTarball(_dir.Path);
        var tar = File.ReadAllBytes(RootfsTarball);
        DiffId = Digest.Of(tar);
        var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar);
        LayerBlob = gz.ToArray();
    }

    public string RootfsTarball { get; }
    public byte[] LayerBlob { get; }
    public Digest DiffId { get; }

    /// <summary>A new csbuild root (under <paramref name="scratch"/>, or at <paramref name="rootPath"/>) with busybox:latest imported.</summary>
    public string NewRoot(TempDirectory scratch, string? rootPath = null)
    {
        var root = rootPath ?? scratch.Combine("root");
        var result = CsbuildProgram.Run(root, "import", RootfsTarball, "busybox:latest");
        Assert.True(result.ExitCode == 0, result.ToString());
        return root;
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// The tests that drive csbuild processes share one collection: they run one after another (each spawns its own
/// parallel processes where it needs them), so a 2-core CI machine is not oversubscribed.
/// </summary>
[CollectionDefinition("csbuild")]
public sealed class CsbuildCollection : ICollectionFixture<BusyboxBase>;
