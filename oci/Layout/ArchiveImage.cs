using Csbuild.Oci.Model;

namespace Csbuild.Oci.Layout;

/// <summary>
/// One image of an OCI layout or docker archive: its manifest (or index) descriptor, the parsed manifest when it is a
/// single-platform image, and the names it is known by (fully qualified, e.g. <c>docker.io/library/app:1</c>).
/// </summary>
public sealed record ArchiveImage(Descriptor Descriptor, IReadOnlyList<string> Names)
{
    public Digest Digest => Digest.Parse(Descriptor.Digest);
}

/// <summary>Which conventions an image archive follows.</summary>
public enum ImageArchiveKind
{
    /// <summary>An OCI image layout (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/</c>), as <c>buildx -o type=oci</c>.</summary>
    Oci,

    /// <summary>
    /// An OCI image layout plus Docker's <c>manifest.json</c>, as <c>docker save</c> (25+) and <c>buildx -o type=docker</c>
    /// write it, so both <c>docker load</c> and OCI tools read it.
    /// </summary>
    Docker,
}

/// <summary>Annotation keys used in an archive's index.json, as containerd and BuildKit write them.</summary>
public static class ArchiveAnnotations
{
    /// <summary>The full image name (containerd's key); what <c>docker load</c> and <c>ctr import</c> read.</summary>
    public const string ContainerdImageName = "io.containerd.image.name";

    /// <summary>The OCI key; BuildKit and containerd put only the tag here (the OCI spec's "ref").</summary>
    public const string RefName = Descriptor.RefNameAnnotation;

    public const string Created = "org.opencontainers.image.created";
}
