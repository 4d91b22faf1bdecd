using Csbuild.Cache.Content;
using Csbuild.Oci.Layout;
using Csbuild.Oci.Model;

namespace Csbuild.Solver.Export;

/// <summary>The local content store as the blob source and sink of oci's archive writer and reader.</summary>
public sealed class ContentStoreBlobs(ContentStore content) : IBlobStore
{
    public Stream OpenRead(Digest digest) => content.OpenRead(digest);

    public bool Exists(Digest digest) => content.Exists(digest);

    public Digest Store(Stream source, Digest? expected)
    {
        if (expected is { } e && content.Exists(e))
        {
            source.CopyTo(Stream.Null); // already stored: the archive's copy is skipped, not trusted
            return e;
        }
        using var writer = content.BeginWrite();
        source.CopyTo(writer, 1 << 20);
        return writer.Commit(expected);
    }
}
