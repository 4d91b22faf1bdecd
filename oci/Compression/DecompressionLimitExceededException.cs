namespace Csbuild.Oci.Compression;

/// <summary>
/// A blob decompressed to more bytes than allowed: most likely a decompression bomb.
/// (An IOException because the BCL's InvalidDataException is sealed.)
/// </summary>
public sealed class DecompressionLimitExceededException(long limit)
    : IOException($"decompressed data exceeds the limit of {limit} bytes; refusing to read further (possible decompression bomb; " +
      $"{DecompressionLimit.EnvironmentVariable} raises the limit)")
{
    public long Limit { get; } = limit;
}
