using System.Security.Cryptography;
using System.Text;
using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Containers.Image;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Model;
using Csbuild.Oci.Native;

namespace Csbuild.Containers.Layers;

/// <summary>A layer added to the base image: its descriptor (blob), its diff_id, and whether the cache already had it.</summary>
public sealed record BuiltLayer(string Name, Digest DiffId, Digest BlobDigest, long BlobSize, string MediaType, string ChainId, bool Reused);

/// <summary>A layer's blob before it is stacked on a base: what the publish files give, whatever lies below them.</summary>
/// <param name="Keys">The cache keys that are to name it.</param>
/// <param name="FoundBy">For a reused blob, the key whose record named it, and <paramref name="FoundOn"/> the chain it pointed at.</param>
public sealed record LayerBlob(string Name, Digest DiffId, Digest BlobDigest, long BlobSize, string MediaType, long UncompressedSize,
    bool Reused, IReadOnlyList<string> Keys, string? FoundBy = null, string? FoundOn = null);

/// <summary>
/// Turns a <see cref="LayerPlan"/> into a layer blob in the csbuild content store. The files are staged under the
/// working directory (hard links, so nothing is copied unless modes must change) and archived by the oci
/// LayerTarWriter with root (or ContainerFileOwner) ownership and times clamped to SOURCE_DATE_EPOCH, so the
/// same publish output always gives the same digest. A cache record keyed by the files' paths, sizes, mtimes and
/// modes (plus the options) lets an unchanged publish reuse the layer without reading a byte. The blob does not
/// depend on the base image, so <see cref="MakeBlob"/> can run while the base image downloads; <see cref="Stack"/>
/// then records it on the chain below.
/// </summary>
public sealed class AppLayerBuilder(CsbuildRoot root, ContainerRequest request)
{
    // v2: keys name the blob alone, without the chain below (v1 keys included it).
    private const string CacheKeyPrefix = "msbuild-container-layer/v2";

    public BuiltLayer Build(LayerPlan plan, string? parentChainId, CancellationToken cancellationToken) =>
        Stack(MakeBlob(plan, cancellationToken), parentChainId);

    /// <summary>The plan's blob: found by the files' stats, then by their contents, else built.</summary>
    public LayerBlob MakeBlob(LayerPlan plan, CancellationToken cancellationToken)
    {
        var publishRoot = Path.GetFullPath(request.PublishDirectory);
        // Two keys: file stats (free to compute; a hit means nothing was even rewritten), then file contents (a publish
        // that rewrites files with the same bytes, like the Web SDK's web.config, still reuses the layer without a tar or gzip).
        var key = CacheKey(plan, publishRoot, hashContents: false);
        if (FindCached(plan, key, [key]) is { } byStats) return byStats;
        var contentKey = CacheKey(plan, publishRoot, hashContents: true);
        if (FindCached(plan, contentKey, [key, contentKey]) is { } byContent) return byContent;

        var stage = Path.Combine(request.IntermediateDirectory, "csbuild-layers", StageName(plan.Name));
        if (Directory.Exists(stage)) Directory.Delete(stage, recursive: true);
        try
        {
            StageFiles(plan, publishRoot, stage, cancellationToken);
            var epoch = request.SourceDateEpoch ?? DateTimeOffset.UnixEpoch;
            var owner = request.FileOwner ?? (0, 0);
            var options = new LayerWriteOptions { ClampTimestamp = epoch, OwnerOverride = _ => owner };
            LayerWriteResult result;
            using (var blob = root.Content.BeginWrite())
            {
                result = LayerTarWriter.Write(stage, blob, options);
                blob.Commit(result.BlobDigest);
            }
            return new LayerBlob(plan.Name, result.DiffId, result.BlobDigest, result.BlobSize, result.MediaType, result.UncompressedSize,
                Reused: false, [key, contentKey]);
        }
        finally
        {
            if (Directory.Exists(stage)) Directory.Delete(stage, recursive: true);
        }
    }

    /// <summary>Records <paramref name="blob"/> as the layer above <paramref name="parentChainId"/>, and its keys as pointing at it.</summary>
    public BuiltLayer Stack(LayerBlob blob, string? parentChainId)
    {
        var chainId = LayerRecord.ComputeChainId(parentChainId, blob.DiffId);
        // What already points at this very chain is not written again: an unchanged publish on the same base writes nothing.
        var onThisChain = blob.FoundOn == chainId;
        if (!onThisChain)
            root.Database.AddLayer(new LayerRecord(chainId, parentChainId, blob.DiffId, blob.BlobDigest, blob.BlobSize,
                blob.MediaType, Snapshot: null, blob.UncompressedSize));
        foreach (var key in blob.Keys)
            if (!(onThisChain && key == blob.FoundBy))
                root.Database.PutRecord(key, chainId, parentChainId, $"dotnet publish: {blob.Name} layer of {request.Repository}");
        return new BuiltLayer(blob.Name, blob.DiffId, blob.BlobDigest, blob.BlobSize, blob.MediaType, chainId, blob.Reused);
    }

    // A record points at the chain the blob was last stacked on; only the top layer's blob is taken from it.
    private LayerBlob? FindCached(LayerPlan plan, string key, IReadOnlyList<string> keys) =>
        root.Database.FindRecord(key) is { ChainId: { } chain } && root.Database.GetLayer(chain) is
            { BlobDigest: { } blob, BlobSize: { } size, MediaType: { } mediaType } layer && root.Content.Exists(blob)
            ? new LayerBlob(plan.Name, layer.DiffId, blob, size, mediaType, layer.Size, Reused: true, keys, FoundBy: key, FoundOn: chain)
            : null;

    /// <summary>
    /// The options that shape the tar, and per file its path and mode plus either its size, mtime and inode
    /// (<paramref name="hashContents"/> false) or the sha256 of its bytes.
    /// </summary>
    private string CacheKey(LayerPlan plan, string publishRoot, bool hashContents)
    {
        var text = new StringBuilder();
        text.Append(CacheKeyPrefix).Append(hashContents ? " content" : " stat").Append('\n')
            .Append("workdir=").Append(request.WorkingDirectory).Append('\n')
            .Append("owner=").Append(request.FileOwner?.ToString()).Append('\n')
            .Append("mode=").Append(request.FileMode?.ToString()).Append('\n')
            .Append("epoch=").Append((request.SourceDateEpoch ?? DateTimeOffset.UnixEpoch).ToUnixTimeSeconds()).Append('\n');
        foreach (var directory in plan.EmptyDirectories) text.Append("dir ").Append(directory).Append('\n');
        foreach (var file in plan.Files)
        {
            var status = Libc.TryStatNoFollow(Path.Combine(publishRoot, file))
                ?? throw new ContainerBuildException(ContainerDiagnostic.PublishOutputMissing, $"'{file}' vanished from the publish directory while the image was built");
            text.Append(file).Append('\0').Append(status.Mode).Append('\0');
            if (!hashContents)
                text.Append(status.Size).Append('\0').Append(status.MtimeSeconds).Append('.').Append(status.MtimeNanoseconds).Append('\0').Append(status.Inode);
            else if (status.IsSymbolicLink)
                text.Append("-> ").Append(new FileInfo(Path.Combine(publishRoot, file)).LinkTarget);
            else
                text.Append(ContentDigest(Path.Combine(publishRoot, file)));
            text.Append('\n');
        }
        return CacheKeyPrefix + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string ContentDigest(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private void StageFiles(LayerPlan plan, string publishRoot, string stage, CancellationToken cancellationToken)
    {
        var target = Path.Combine(stage, request.WorkingDirectory.Trim('/'));
        CreateDirectory(stage, stage);
        CreateDirectory(stage, target);
        foreach (var directory in plan.EmptyDirectories) CreateDirectory(stage, Path.Combine(target, directory));
        foreach (var file in plan.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var source = Path.Combine(publishRoot, file);
            var destination = Path.Combine(target, file);
            CreateDirectory(stage, Path.GetDirectoryName(destination)!);
            var info = new FileInfo(source);
            if (info.LinkTarget is { } linkTarget)
            {
                File.CreateSymbolicLink(destination, linkTarget);
                continue;
            }
            if (request.FileMode is { } mode)
            {
                // A hard link shares the inode: changing its mode would change the publish output too, so copy.
                File.Copy(source, destination);
                File.SetUnixFileMode(destination, (UnixFileMode)WithExecuteBits(mode, (int)info.UnixFileMode));
                File.SetLastWriteTimeUtc(destination, info.LastWriteTimeUtc);
            }
            else
            {
                try
                {
                    Libc.CreateHardLink(source, destination);
                }
                catch (NativeIOException)
                {
                    // Another file system (EXDEV) or links forbidden (protected_hardlinks): a copy keeps mode and mtime just the same.
                    File.Copy(source, destination);
                    File.SetLastWriteTimeUtc(destination, info.LastWriteTimeUtc);
                }
            }
        }
    }

    /// <summary>Executables (apphost, scripts) stay executable: their read bits of <paramref name="mode"/> become execute bits.</summary>
    internal static int WithExecuteBits(int mode, int originalMode)
    {
        const int anyExecute = 0b001_001_001;
        return (originalMode & anyExecute) != 0 ? mode | ((mode & 0b100_100_100) >> 2) : mode;
    }

    /// <summary>Directories of the layer get 0755, whatever the umask, so the tar does not depend on the machine.</summary>
    private static void CreateDirectory(string stage, string path)
    {
        if (Directory.Exists(path)) return;
        var parent = Path.GetDirectoryName(path);
        if (parent is not null && path.Length > stage.Length && !Directory.Exists(parent)) CreateDirectory(stage, parent);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    private static string StageName(string layerName) => layerName.Replace(' ', '-');
}
