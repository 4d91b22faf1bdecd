using Csbuild.Oci.Model;

namespace Csbuild.Oci.Compression;

/// <summary>How a layer blob is compressed.</summary>
public enum LayerCompression
{
    None,
    Gzip,
    Zstd,
}

public static class LayerCompressionExtensions
{
    /// <summary>The OCI layer media type for a tar compressed this way.</summary>
    public static string OciLayerMediaType(this LayerCompression compression) => compression switch
    {
        LayerCompression.None => MediaTypes.OciLayer,
        LayerCompression.Gzip => MediaTypes.OciLayerGzip,
        LayerCompression.Zstd => MediaTypes.OciLayerZstd,
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, "unknown layer compression"),
    };
}
