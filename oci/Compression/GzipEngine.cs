namespace Csbuild.Oci.Compression;

/// <summary>Which deflate implementation turns a chunk into a gzip member (<see cref="ParallelGzipCompressStream"/>).</summary>
internal enum GzipEngine
{
    /// <summary>The BCL's GZipStream (zlib-ng), levels 0–9: on every host.</summary>
    Zlib,

    /// <summary>ISA-L's igzip, levels 1–3: where libisal2 is installed (<see cref="IsalGzip"/>).</summary>
    Isal,
}
