using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Layers;

/// <summary>Limits and checks for <see cref="LayerExtractor.Extract"/>, which runs on untrusted layers.</summary>
public sealed record LayerExtractOptions
{
    public static LayerExtractOptions Default { get; } = new();

    /// <summary>When set, the sha256 of the uncompressed tar must equal this (the image config's diff_id).</summary>
    public Digest? ExpectedDiffId { get; init; }

    /// <summary>Character and block device entries are refused unless this is set (a base image may carry a /dev).</summary>
    public bool AllowDevices { get; init; }

    /// <summary>
    /// Upper bound on the uncompressed tar size; beyond it extraction stops (decompression bombs). Defaults to
    /// <see cref="DecompressionLimit.Default"/> (64 GiB, or <c>CSBUILD_MAX_DECOMPRESSED_SIZE</c>).
    /// </summary>
    public long MaxUncompressedBytes { get; init; } = DecompressionLimit.Default;

    /// <summary>Upper bound on the number of tar entries (headers of files, directories, links, whiteouts).</summary>
    public int MaxEntries { get; init; } = 2_000_000;

    /// <summary>
    /// Whether to extract as root would: overlay-format whiteouts (0:0 character devices, which need mknod) and
    /// opaque xattrs (trusted.*), owners from the tar, every xattr. When false, whiteouts stay OCI
    /// <c>.wh.*</c> files, owners are not changed, only user.* xattrs are set (others are skipped) and device
    /// nodes cannot be created. Null means "true when running as root (geteuid() == 0)".
    /// </summary>
    public bool? Privileged { get; init; }
}

/// <summary>
/// What an extraction found. <see cref="DiffId"/> is the sha256 of the uncompressed tar stream (already checked
/// against <see cref="LayerExtractOptions.ExpectedDiffId"/> when one was given). <see cref="OverlayFormat"/> tells
/// whether the snapshot uses overlayfs whiteouts (usable as an overlay lower dir) or OCI <c>.wh.*</c> files.
/// </summary>
public sealed record LayerExtractResult(
    Digest DiffId, long UncompressedSize, long CompressedSize, LayerCompression Compression, int EntryCount, bool OverlayFormat);
