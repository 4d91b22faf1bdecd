using System.Collections.Concurrent;
using System.Text;
using Csbuild.Oci.Model;
using Csbuild.Solver.Context;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver;

/// <summary>
/// Cache keys, bottom-up: <c>sha256(version ‖ op definition ‖ input keys ‖ content selectors)</c>. A base image
/// enters by its manifest digest, a COPY from a local directory by the checksum of what it selects. Nothing
/// machine-specific (paths, inode numbers, times) goes in, so two runners agree on every key.
/// </summary>
public sealed class CacheKeys(BuildGraph graph, IImageResolver images, IFileDigestCache? digests, Sources.RemoteSources? remote = null)
{
    private const string Version = "csbuild-cache-v1";
    private readonly ConcurrentDictionary<Vertex, Lazy<Task<string>>> _keys = new();
    private readonly ConcurrentDictionary<(Vertex, int), IReadOnlyList<CopyMatch>> _selections = new();

    /// <summary>Downloads and git commits of this build (ADD of remote sources), shared with the step that runs them.</summary>
    public Sources.RemoteSources Remote { get; } = remote ?? new Sources.RemoteSources(Path.Combine(Path.GetTempPath(), "csbuild-remote"));

    public Task<string> KeyOf(Vertex vertex, CancellationToken ct) =>
        _keys.GetOrAdd(vertex, v => new Lazy<Task<string>>(() => Compute(v, ct))).Value;

    /// <summary>The selection a COPY from a local directory made while its key was computed (reused to execute it).</summary>
    public IReadOnlyList<CopyMatch>? SelectionOf(Vertex vertex, int actionIndex) =>
        _selections.TryGetValue((vertex, actionIndex), out var s) ? s : null;

    private async Task<string> Compute(Vertex vertex, CancellationToken ct)
    {
        var text = new StringBuilder(Version).Append('\n').Append(vertex.Op.CanonicalDefinition()).Append('\n');
        if (vertex.Op is ImageOp image)
        {
            var resolved = await images.ResolveAsync(image.Reference, image.Platform, ct);
            text.Append("manifest ").Append(resolved.ManifestDigest).Append('\n');
        }
        foreach (var input in vertex.Inputs)
            text.Append("input ").Append(await KeyOf(input, ct)).Append('\n');
        if (vertex.Op is FileOp file)
        {
            for (int i = 0; i < file.Actions.Count; i++)
            {
                // A URL without --checksum is keyed by what it serves now; a git ref by the commit it names now.
                if (file.Actions[i] is HttpDownloadAction { Checksum: null } http)
                {
                    var downloaded = await Remote.DownloadAsync(http, ct);
                    text.Append("selector ").Append(i).Append(' ').Append(downloaded.Digest).Append(' ').Append(downloaded.LastModified?.ToUnixTimeSeconds()).Append('\n');
                    continue;
                }
                if (file.Actions[i] is GitCloneAction git)
                {
                    text.Append("selector ").Append(i).Append(" commit ").Append(await Remote.ResolveCommitAsync(git, ct)).Append('\n');
                    continue;
                }
                if (file.Actions[i] is not CopyAction copy || vertex.Inputs[copy.SourceInput].Op is not LocalOp local) continue;
                var selection = await Task.Run(() => SelectLocal(local, copy), ct);
                _selections[(vertex, i)] = selection;
                text.Append("selector ").Append(i).Append(' ').Append(SelectionChecksum.Compute(selection, includeOwnership: false, digests)).Append('\n');
            }
        }
        if (vertex.Op is ExecOp exec)
        {
            // ExecOp.ProxyEnv is deliberately absent (not in the canonical definition either): a proxy is how this
            // machine reaches the network, not what the step computes, so builds behind different proxies share keys.
            // A bind of the context shows its files to the step: their contents are part of what the step computes.
            for (int i = 0; i < exec.Mounts.Count; i++)
            {
                var mount = exec.Mounts[i];
                if (mount.Type != ExecMountType.Bind || mount.SourceInput is not { } input || vertex.Inputs[input].Op is not LocalOp local) continue;
                var selection = await Task.Run(() => SelectLocal(local, [mount.Source], [], followSymlinks: true), ct);
                text.Append("mount ").Append(i).Append(' ').Append(SelectionChecksum.Compute(selection, includeOwnership: false, digests)).Append('\n');
            }
        }
        return Digest.Of(text.ToString()).ToString();
    }

    private IReadOnlyList<CopyMatch> SelectLocal(LocalOp local, CopyAction copy) =>
        SelectLocal(local, copy.Sources, copy.Excludes, copy.FollowSymlinks);

    private IReadOnlyList<CopyMatch> SelectLocal(LocalOp local, IReadOnlyList<string> sources, IReadOnlyList<string> excludes, bool followSymlinks)
    {
        if (!graph.Locals.TryGetValue(local.Name, out var source))
            throw new BuildException($"the build graph uses local source '{local.Name}' but none was given");
        return CopySelection.Select(new DirectoryCopySource(source.Directory, source.ExcludePatterns), sources, excludes, followSymlinks);
    }
}
