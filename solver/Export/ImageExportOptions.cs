using Csbuild.Oci.Compression;

namespace Csbuild.Solver.Export;

/// <summary>
/// How the exporter writes an image, as BuildKit's image exporter options: <c>compression</c>, <c>compression-level</c>,
/// <c>force-compression</c>, <c>oci-mediatypes</c>.
/// </summary>
public sealed record ImageExportOptions
{
    public static ImageExportOptions Default { get; } = new();

    /// <summary>
    /// Compression of the layers this build made (base image layers keep theirs unless <see cref="ForceCompression"/>, but
    /// uncompressed ones are compressed too). Null keeps every layer as stored: built layers are stored uncompressed, as
    /// Docker's and buildah's stores keep them, so a build pays for compression only when its image leaves the machine.
    /// </summary>
    public LayerCompression? Compression { get; init; }

    /// <summary>A level recompresses this build's layers with it; null keeps the level they were stored with.</summary>
    public int? CompressionLevel { get; init; }

    /// <summary>Recompress every layer, base image layers included.</summary>
    public bool ForceCompression { get; init; }

    /// <summary>OCI media types (the default); false writes Docker schema2 media types.</summary>
    public bool OciMediaTypes { get; init; } = true;

    /// <summary><c>--cache-to type=inline</c>: put the cache records of the image's layers into its config.</summary>
    public bool InlineCache { get; init; }

    /// <summary>
    /// These options for an image that goes to a registry or an archive: layers compressed (gzip unless a compression
    /// was named), since registries, docker and containerd expect compressed layers. An inline cache names the layers of
    /// the pushed image, so it implies the same.
    /// </summary>
    public ImageExportOptions ForTransfer() => Compression is null ? this with { Compression = LayerCompression.Gzip } : this;
}
