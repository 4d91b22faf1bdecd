using System.IO.Compression;
using Csbuild.Hardening.Support;
using Csbuild.Oci.Compression;
using Csbuild.Oci.Model;

namespace Csbuild.Hardening.Layers;

/// <summary>
/// One crafted layer and what csbuild must do with it: refuse it with an error containing <see cref="Refusal"/>,
/// or (when null) unpack it inside the snapshot, after which <see cref="Check"/> runs as a RUN step in the image.
/// </summary>
public sealed record HostileLayerCase(string Name, HandLayer Layer, string? Refusal, string? Check = null)
{
    public override string ToString() => Name;
}

/// <summary>The hostile layers of issue 11, item 1, each aimed at <see cref="Sentinel"/>, a directory outside the root.</summary>
public static class HostileLayerCases
{
    /// <summary>The decompression limit the tests set (CSBUILD_MAX_DECOMPRESSED_SIZE); bombs expand to 16 times as much.</summary>
    public const string Limit = "16M";
    private const long BombBytes = 256L << 20;

    public static IReadOnlyList<HostileLayerCase> All(string sentinel)
    {
        var outside = sentinel.TrimStart('/');
        var climb = string.Concat(Enumerable.Repeat("../", 6));
        return
        [
            Refused("dot-dot entry", new HandTar().File("../escape-dotdot", "x"), "escapes the extraction root"),
            Refused("deep dot-dot entry", new HandTar().Directory("a/").File("a/b/../../../" + climb + outside + "/victim.txt", "pwned"), "escapes the extraction root"),
            Refused("write through absolute symlink", new HandTar().Symlink("evil", sentinel).File("evil/victim.txt", "pwned"), "refusing to follow it"),
            Refused("write through relative symlink", new HandTar().Symlink("rel", climb + outside).File("rel/created.txt", "pwned"), "refusing to follow it"),
            Refused("write through nested symlink", new HandTar().Directory("d/").Symlink("d/link", sentinel).File("d/link/etc/passwd", "pwned"), "refusing to follow it"),
            Refused("symlink as directory of a hardlink", new HandTar().Symlink("s", sentinel).HardLink("h", "s/victim.txt"), "not an earlier entry"),
            Refused("hardlink to absolute outside path", new HandTar().HardLink("hl", sentinel + "/victim.txt"), "not an earlier entry"),
            Refused("hardlink climbing out", new HandTar().HardLink("hl", climb + outside + "/victim.txt"), "escapes the extraction root"),
            Refused("huge size in header (base-256)", new HandTar().LyingFile("huge", 1L << 40, new byte[1000]), "truncated"),
            Refused("huge size in header (octal)", new HandTar().LyingFile("huge", (1L << 33) - 1, new byte[1000]), "truncated"),
            Refused("truncated archive", Truncated(), "truncated"),
            Refused("truncated gzip stream", new HandLayer(Gzip(new HandTar().File("f", RandomBytes(200_000)).ToArray())[..5000], Digest.Of("x"), MediaTypes.OciLayerGzip), "truncated"),
            Refused("gzip bomb", Bomb(LayerCompression.Gzip), "decompression bomb"),
            Refused("zstd bomb", Bomb(LayerCompression.Zstd), "decompression bomb"),
            Contained("absolute paths", new HandTar().File(sentinel + "/victim.txt", "inside"),
                $"grep -qx inside /{outside}/victim.txt"),
            Contained("duplicate entries, last wins", new HandTar().File("dup", "one").File("dup", "two").Symlink("d", sentinel).Directory("d/").File("d/x", "in"),
                "grep -qx two /dup && test ! -L /d && grep -qx in /d/x"),
            Contained("setuid and setgid files", new HandTar().File("suid", "#!/bin/sh\n", 0xDED).File("sgid", "x", 0x5ED),
                "test -u /suid && test -g /sgid"),
            Contained("device nodes", new HandTar().CharDevice("mem", 1, 1).BlockDevice("disk", 8, 0),
                "test -c /mem && test -b /disk && ! head -c 1 /mem > /dev/null 2>&1 && ! head -c 1 /disk > /dev/null 2>&1"),
        ];
    }

    private static HostileLayerCase Refused(string name, HandTar tar, string refusal) => Refused(name, GzipLayer(tar.ToArray()), refusal);

    private static HostileLayerCase Refused(string name, HandLayer layer, string refusal) => new(name, layer, refusal);

    private static HostileLayerCase Contained(string name, HandTar tar, string check) => new(name, GzipLayer(tar.ToArray()), null, check);

    private static HandLayer GzipLayer(byte[] tar) => new(Gzip(tar), Digest.Of(tar), MediaTypes.OciLayerGzip);

    private static HandLayer Truncated()
    {
        var tar = new HandTar().File("a", new byte[4096]).File("b", new byte[100_000]).ToArray(endMarker: false)[..20_000];
        return GzipLayer(tar);
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(11).NextBytes(bytes); // incompressible, so a cut-off gzip stream really ends inside the tar
        return bytes;
    }

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>A single file of zeros, far beyond the limit, compressed to a few hundred kilobytes at most.</summary>
    private static HandLayer Bomb(LayerCompression compression)
    {
        var blob = new MemoryStream();
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        using (var compressor = LayerCompressionStreams.CreateCompressor(blob, compression, leaveOpen: true))
        {
            void Write(ReadOnlySpan<byte> bytes) { compressor.Write(bytes); hash.AppendData(bytes); }
            var header = new HandTar().Header("bomb", '0', BombBytes).ToArray(endMarker: false);
            Write(header);
            var zeros = new byte[1 << 20];
            for (long written = 0; written < BombBytes; written += zeros.Length) Write(zeros);
            Write(new byte[1024]);
        }
        var mediaType = compression == LayerCompression.Zstd ? MediaTypes.OciLayerZstd : MediaTypes.OciLayerGzip;
        return new HandLayer(blob.ToArray(), Digest.FromHash(hash.GetHashAndReset()), mediaType);
    }
}
