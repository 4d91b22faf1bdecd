using Csbuild.Oci.Layers;

namespace Csbuild.Oci.Tests.Support;

public static class LayerHelper
{
    /// <summary>Writes <paramref name="diffDirectory"/> as a layer blob file and returns the result.</summary>
    public static LayerWriteResult WriteToFile(string diffDirectory, string blobPath, LayerWriteOptions? options = null)
    {
        using var file = File.Create(blobPath);
        return LayerTarWriter.Write(diffDirectory, file, options ?? LayerWriteOptions.Default);
    }

    public static LayerExtractResult ExtractFile(string blobPath, string target, LayerExtractOptions? options = null)
    {
        using var file = File.OpenRead(blobPath);
        return LayerExtractor.Extract(file, target, options ?? LayerExtractOptions.Default);
    }

    public static LayerExtractResult ExtractBytes(byte[] blob, string target, LayerExtractOptions? options = null) =>
        LayerExtractor.Extract(new MemoryStream(blob), target, options ?? LayerExtractOptions.Default);

    /// <summary>Entry names of a tar (plain or compressed) as GNU tar lists them, in archive order.</summary>
    public static List<string> ListWithGnuTar(string blobPath) =>
        [.. ExternalTool.Run("tar", "-tf", blobPath).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
}
