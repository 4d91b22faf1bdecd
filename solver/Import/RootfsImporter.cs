using System.Formats.Tar;
using Csbuild.Cache;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;

namespace Csbuild.Solver.Import;

/// <summary>
/// <c>csbuild import ROOTFS.tar NAME</c>, as <c>docker import</c>: the tarball (plain or compressed) becomes the
/// single layer of a new image. One pass validates the tar, computes the diff_id and writes the gzip blob.
/// </summary>
public static class RootfsImporter
{
    private const long MaxImportBytes = 1L << 40;

    public static Descriptor Import(CsbuildRoot root, Stream tarball, string sourceName, string imageName, DateTimeOffset? created = null)
    {
        var normalizedName = Cache.Images.ImageName.Normalize(imageName);
        using var blob = root.Content.BeginWrite();
        Digest diffId;
        using (var gzip = LayerCompressionStreams.CreateCompressor(blob, LayerCompression.Gzip, leaveOpen: true))
        using (var uncompressed = LayerCompressionStreams.OpenDecompressor(tarball, MaxImportBytes, out _, leaveOpen: true))
        using (var tee = new TeeReadStream(uncompressed, gzip))
        {
            ValidateTar(tee, sourceName);
            tee.CopyTo(Stream.Null); // the zero blocks after the end-of-archive marker belong to the layer too
            diffId = Digest.FromHash(tee.GetHash());
        }
        var blobSize = blob.Written;
        var blobDigest = blob.Commit();

        var time = created ?? DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var config = new ImageConfig
        {
            Created = time,
            Architecture = PlatformSpec.HostArchitecture,
            Os = "linux",
            RootFs = new RootFs { DiffIds = [diffId.ToString()] },
            History = [new HistoryEntry { Created = time, CreatedBy = $"csbuild import {Path.GetFileName(sourceName)}", Comment = "Imported from " + sourceName }],
        };
        var configBytes = OciJson.Serialize(config);
        var configDigest = root.Content.Put(configBytes);
        var manifest = new ImageManifest
        {
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = configDigest.ToString(), Size = configBytes.Length },
            Layers = [new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = blobDigest.ToString(), Size = blobSize }],
        };
        var manifestBytes = OciJson.Serialize(manifest);
        var descriptor = new Descriptor { MediaType = MediaTypes.OciManifest, Digest = root.Content.Put(manifestBytes).ToString(), Size = manifestBytes.Length };
        root.Images.Tag(normalizedName, descriptor);
        return descriptor;
    }

    private static void ValidateTar(Stream stream, string sourceName)
    {
        try
        {
            using var reader = new TarReader(stream, leaveOpen: true);
            int entries = 0;
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                entries++;
                if (entry.DataStream is { } data) data.CopyTo(Stream.Null);
            }
            if (entries == 0) throw new BuildException($"{sourceName} is not a tar archive or is empty");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new BuildException($"{sourceName} is not a valid tar archive: {e.Message}");
        }
    }
}
