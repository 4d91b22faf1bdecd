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
/// A step that copies from another stage, and every step after it, also has a content key (<see cref="ContentKeyOf"/>).
/// </summary>
/// <param name="chainSource">Solves a vertex and opens its result as a copy source (for content keys); null: none are made.</param>
public sealed class CacheKeys(BuildGraph graph, IImageResolver images, IFileDigestCache? digests, Sources.RemoteSources? remote = null,
    Func<Vertex, CancellationToken, Task<ICopySource>>? chainSource = null)
{
    private const string Version = "csbuild-cache-v1";
    private readonly ConcurrentDictionary<Vertex, Lazy<Task<string>>> _keys = new();
    private readonly ConcurrentDictionary<Vertex, Lazy<Task<string>>> _contentKeys = new();
    private readonly ConcurrentDictionary<Vertex, bool> _hasContentKey = new();
    private readonly ConcurrentDictionary<Vertex, Lazy<Task<(string, string)>>> _ownParts = new();
    private readonly ConcurrentDictionary<(Vertex, int), IReadOnlyList<CopyMatch>> _selections = new();

    /// <summary>Downloads and git commits of this build (ADD of remote sources), shared with the step that runs them.</summary>
    public Sources.RemoteSources Remote { get; } = remote ?? new Sources.RemoteSources(Path.Combine(Path.GetTempPath(), "csbuild-remote"));

    public Task<string> KeyOf(Vertex vertex, CancellationToken ct) =>
        _keys.GetOrAdd(vertex, v => new Lazy<Task<string>>(() => Compute(v, ct))).Value;

    /// <summary>
    /// Whether <see cref="ContentKeyOf"/> can differ from <see cref="KeyOf"/>: the vertex, or one below it, copies from
    /// another stage.
    /// </summary>
    public bool HasContentKey(Vertex vertex) =>
        chainSource is not null && _hasContentKey.GetOrAdd(vertex, v => ChainCopyInputs(v).Count > 0 || v.Inputs.Any(HasContentKey));

    /// <summary>
    /// The key of a result by what it copies rather than by how the copied files were made, as BuildKit's content-based
    /// cache keys: a COPY --from=STAGE enters with the checksum of the files it selects in that stage's result (contents,
    /// modes, owners, link targets), and the steps after it with their inputs' content keys. So when an earlier stage
    /// runs again yet yields the same files, the copy and everything built on it are still hits. It is asked for only
    /// when <see cref="KeyOf"/> misses, since computing it solves the stages copied from.
    /// </summary>
    public Task<string> ContentKeyOf(Vertex vertex, CancellationToken ct) =>
        HasContentKey(vertex)
            ? _contentKeys.GetOrAdd(vertex, v => new Lazy<Task<string>>(() => ComputeContentKey(v, ct))).Value
            : KeyOf(vertex, ct);

    private async Task<string> ComputeContentKey(Vertex vertex, CancellationToken ct)
    {
        // The definition key's own parts, with each input named by content instead of by definition.
        var (definition, selectors) = await OwnParts(vertex, ct);
        var text = new StringBuilder(Version).Append(" content\n").Append(definition);
        var copied = ChainCopyInputs(vertex);
        // All at once: the stages copied from are solved in parallel, as the solver solves a step's inputs.
        var inputs = await Task.WhenAll(vertex.Inputs.Select((input, i) =>
            copied.TryGetValue(i, out var copies) ? CopiedContentAsync(i, input, copies, ct) : InputContentKeyAsync(input, ct)));
        foreach (var part in inputs) text.Append(part);
        return Digest.Of(text.Append(selectors).ToString()).ToString();
    }

    private async Task<string> InputContentKeyAsync(Vertex input, CancellationToken ct) => "input " + await ContentKeyOf(input, ct) + "\n";

    /// <summary>The checksum of what each COPY selects in the solved result of <paramref name="input"/>.</summary>
    private async Task<string> CopiedContentAsync(int index, Vertex input, List<CopyAction> copies, CancellationToken ct)
    {
        var source = await chainSource!(input, ct);
        return await Task.Run(() =>
        {
            var text = new StringBuilder();
            foreach (var copy in copies)
            {
                var selection = CopySelection.Select(source, copy.Sources, copy.Excludes, copy.FollowSymlinks);
                text.Append("content ").Append(index).Append(' ').Append(SelectionChecksum.Compute(selection, includeOwnership: true, digests)).Append('\n');
            }
            return text.ToString();
        }, ct);
    }

    /// <summary>
    /// The COPY actions of a vertex that read what another stage's steps made, by input index. A copy straight from an
    /// image needs no content key: its definition key already names the image by manifest digest.
    /// </summary>
    private static Dictionary<int, List<CopyAction>> ChainCopyInputs(Vertex vertex)
    {
        var found = new Dictionary<int, List<CopyAction>>();
        if (vertex.Op is not FileOp file) return found;
        foreach (var action in file.Actions)
        {
            if (action is not CopyAction copy || vertex.Inputs[copy.SourceInput].Op is LocalOp or ScratchOp or ImageOp) continue;
            if (!found.TryGetValue(copy.SourceInput, out var list)) found[copy.SourceInput] = list = [];
            list.Add(copy);
        }
        return found;
    }

    /// <summary>The selection a COPY from a local directory made while its key was computed (reused to execute it).</summary>
    public IReadOnlyList<CopyMatch>? SelectionOf(Vertex vertex, int actionIndex) =>
        _selections.TryGetValue((vertex, actionIndex), out var s) ? s : null;

    private async Task<string> Compute(Vertex vertex, CancellationToken ct)
    {
        var (definition, selectors) = await OwnParts(vertex, ct);
        var text = new StringBuilder(Version).Append('\n').Append(definition);
        foreach (var input in vertex.Inputs)
            text.Append("input ").Append(await KeyOf(input, ct)).Append('\n');
        return Digest.Of(text.Append(selectors).ToString()).ToString();
    }

    /// <summary>What a key says of the vertex itself: its op (and a base image's manifest), then its content selectors.</summary>
    private Task<(string Definition, string Selectors)> OwnParts(Vertex vertex, CancellationToken ct) =>
        _ownParts.GetOrAdd(vertex, v => new Lazy<Task<(string, string)>>(() => ComputeOwnParts(v, ct))).Value;

    private async Task<(string Definition, string Selectors)> ComputeOwnParts(Vertex vertex, CancellationToken ct)
    {
        var definition = new StringBuilder(vertex.Op.CanonicalDefinition()).Append('\n');
        if (vertex.Op is ImageOp image)
        {
            var resolved = await images.ResolveAsync(image.Reference, image.Platform, ct);
            definition.Append("manifest ").Append(resolved.ManifestDigest).Append('\n');
        }
        var text = new StringBuilder();
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
        return (definition.ToString(), text.ToString());
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
