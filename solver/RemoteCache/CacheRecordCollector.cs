using Csbuild.Cache;
using Csbuild.Cache.Remote;
using Csbuild.Oci.Model;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver.RemoteCache;

/// <summary>
/// The cache records a build can export: for mode=min the steps whose results are the final image's layers
/// (the output stage, down to its base image); for mode=max every step of every stage the output needs. A step
/// that was not run this time (an ancestor of a hit) is exported from the local cache or from an imported one.
/// </summary>
public sealed class CacheRecordCollector(CsbuildRoot root, BuildGraph graph, BuildSolver solver)
{
    public async Task<List<ExportRecord>> CollectAsync(CacheExportMode mode, CancellationToken ct)
    {
        var records = new List<ExportRecord>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var vertex in Steps(mode))
        {
            var key = await solver.Keys.KeyOf(vertex, ct);
            if (seen.Add(key) && Record(key) is { } record) records.Add(record);
        }
        return records;
    }

    /// <summary>The RUN steps of the output's graph (whose cache mounts may be exported).</summary>
    public IEnumerable<ExecOp> ExecSteps() => Reachable(graph.Output).Select(v => v.Op).OfType<ExecOp>();

    private IEnumerable<Vertex> Steps(CacheExportMode mode)
    {
        if (mode == CacheExportMode.Max) return Reachable(graph.Output).Where(v => v.Op is ExecOp or FileOp);
        var steps = new List<Vertex>();
        for (var v = graph.Output; v.Op is ExecOp or FileOp && v.Inputs.Count > 0; v = v.Inputs[0]) steps.Add(v);
        return steps;
    }

    private static List<Vertex> Reachable(Vertex output)
    {
        var order = new List<Vertex>();
        var visited = new HashSet<Vertex>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Vertex>([output]);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (!visited.Add(v)) continue;
            order.Add(v);
            foreach (var input in v.Inputs) stack.Push(input);
        }
        return order;
    }

    private ExportRecord? Record(string key)
    {
        if (root.Database.FindRecord(key, touch: false) is { } local && FromLocal(local) is { } exported) return exported;
        if (solver.CacheImport?.Find(key) is not { } imported) return null;
        var chain = imported.Chain.Select(l => new ExportLayer(Digest.Parse(l.DiffId), l.Blob)).ToList();
        return new ExportRecord(key, chain, imported.BaseDepth, imported.Entry.Created);
    }

    /// <summary>A local record whose every layer has a blob here or in an imported cache; null otherwise (snapshot-only layers cannot be exported).</summary>
    private ExportRecord? FromLocal(Cache.Metadata.CacheRecord record)
    {
        try
        {
            var chain = root.Database.GetChain(record.ChainId);
            var layers = new List<ExportLayer>(chain.Count);
            foreach (var stored in chain)
            {
                // A layer committed without a blob (an earlier stage's) gets one now: the cache exports its bytes.
                var layer = stored.BlobDigest is null && stored.Snapshot is not null ? Ops.LayerBlobs.Ensure(root, stored) : stored;
                if (layer.BlobDigest is not { } blob || !root.RemoteBlobs.Available(blob)) return null;
                var size = layer.BlobSize ?? (root.Content.Exists(blob) ? root.Content.Size(blob) : -1);
                if (size < 0) return null;
                layers.Add(new ExportLayer(layer.DiffId, new Descriptor
                {
                    MediaType = layer.MediaType ?? MediaTypes.OciLayerGzip, Digest = blob.ToString(), Size = size,
                }));
            }
            var baseDepth = root.Database.GetChain(record.BaseChainId).Count;
            return baseDepth <= layers.Count ? new ExportRecord(record.Key, layers, baseDepth, record.Created) : null;
        }
        catch (InvalidDataException)
        {
            return null; // a broken chain: not worth exporting
        }
    }
}
