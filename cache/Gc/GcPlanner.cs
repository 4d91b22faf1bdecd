using Csbuild.Cache.Metadata;

namespace Csbuild.Cache.Gc;

/// <summary>
/// Decides what a collection removes, without touching anything. Layers are reference-counted: a layer is
/// needed by its child layers, by cache records whose result it is, by tagged images and by running builds'
/// leases. Dead weight goes first (broken records, unreferenced layers and blobs, leftover snapshot
/// directories); then cache records in least-recently-used order, each freeing the layers only it needed,
/// until usage fits the budget; with <see cref="PruneOptions.All"/>, then the unpacked snapshots of image layers.
/// </summary>
public static class GcPlanner
{
    public static GcPlan Plan(GcInventory inventory, PruneOptions options)
    {
        var state = new State(inventory, options);
        state.FreeDeadWeight();
        state.EvictRecords();
        if (options.All) state.DropImageSnapshots();
        return state.Plan;
    }

    private sealed class State
    {
        private readonly GcInventory _inv;
        private readonly PruneOptions _options;
        private readonly Dictionary<string, GcLayerRow> _nodes;
        private readonly Dictionary<string, int> _refs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _blobRefs = new(StringComparer.Ordinal);
        private readonly HashSet<string> _freedLayers = new(StringComparer.Ordinal);
        private readonly HashSet<string> _freedBlobs = new(StringComparer.Ordinal);
        private readonly HashSet<string> _freedSnapshots = new(StringComparer.Ordinal);
        private readonly HashSet<string> _removedRecords = new(StringComparer.Ordinal);
        private readonly DateTimeOffset? _usedBefore;

        public State(GcInventory inventory, PruneOptions options)
        {
            _inv = inventory;
            _options = options;
            _usedBefore = options.Until is { } until ? inventory.Now - until : null;
            Plan = new GcPlan { UsageBefore = inventory.UsageBytes };
            _nodes = inventory.Layers.ToDictionary(l => l.Layer.ChainId, StringComparer.Ordinal);
            foreach (var id in _nodes.Keys) _refs[id] = 0;
            foreach (var row in inventory.Layers)
            {
                if (row.Layer.ParentChainId is { } parent && _nodes.ContainsKey(parent)) _refs[parent]++;
                if (row.Layer.BlobDigest is { } blob) _blobRefs[blob.ToString()] = _blobRefs.GetValueOrDefault(blob.ToString()) + 1;
            }
            foreach (var record in inventory.Records)
                if (record.ChainId is { } chain && _nodes.ContainsKey(chain)) _refs[chain]++;
            foreach (var chain in inventory.ImageChains.Concat(inventory.LeasedChains))
                if (_nodes.ContainsKey(chain)) _refs[chain]++;
        }

        public GcPlan Plan { get; }

        private bool OverBudget => _options.KeepBytes is not { } keep || Plan.UsageAfter > keep;

        private bool Eligible(long lastUsedMs) =>
            _usedBefore is not { } before || lastUsedMs < before.ToUnixTimeMilliseconds();

        public void FreeDeadWeight()
        {
            foreach (var record in _inv.Records)
                if (record.ChainId is { } chain && !_nodes.ContainsKey(chain)) RemoveRecord(record.Key);
            var named = _inv.Layers.Where(l => l.Layer.Snapshot is not null).Select(l => l.Layer.Snapshot!).ToHashSet(StringComparer.Ordinal);
            foreach (var dir in _inv.OldSnapshotDirectories.Order(StringComparer.Ordinal))
                if (!named.Contains(dir)) FreeSnapshot(dir);
            foreach (var row in _inv.Layers)
                if (_refs[row.Layer.ChainId] == 0 && !_freedLayers.Contains(row.Layer.ChainId)) FreeLayer(row.Layer);
            foreach (var blob in _inv.BlobSizes.Keys.Order(StringComparer.Ordinal))
                if (_blobRefs.GetValueOrDefault(blob) == 0) FreeBlob(blob);
        }

        public void EvictRecords()
        {
            var candidates = _inv.Records
                .Where(r => !_removedRecords.Contains(r.Key) && Eligible(r.LastUsedMs))
                .Where(r => r.ChainId is null || !_inv.LeasedChains.Contains(r.ChainId)) // a running build's own results
                .OrderBy(r => r.LastUsedMs).ThenBy(r => r.Key, StringComparer.Ordinal);
            foreach (var record in candidates)
            {
                if (!OverBudget) return;
                RemoveRecord(record.Key);
                if (record.ChainId is { } chain && _nodes.ContainsKey(chain)) Release(chain);
            }
        }

        public void DropImageSnapshots()
        {
            var needed = Closure(_inv.LeasedChains);
            needed.UnionWith(Closure(_inv.Records.Where(r => !_removedRecords.Contains(r.Key) && r.ChainId is not null).Select(r => r.ChainId!)));
            var candidates = _inv.Layers
                .Where(l => !_freedLayers.Contains(l.Layer.ChainId) && !needed.Contains(l.Layer.ChainId))
                .Where(l => l.Layer.Snapshot is { } s && !_freedSnapshots.Contains(s) && _inv.SnapshotSizes.ContainsKey(s))
                .Where(l => l.Layer.BlobDigest is { } b && _inv.ExistingBlobs.Contains(b.ToString()) && !_freedBlobs.Contains(b.ToString()))
                .Where(l => Eligible(l.LastUsedMs))
                .OrderBy(l => l.LastUsedMs).ThenBy(l => l.Layer.ChainId, StringComparer.Ordinal);
            foreach (var row in candidates)
            {
                if (!OverBudget) return;
                Plan.DroppedSnapshots.Add(row.Layer);
                FreeSnapshot(row.Layer.Snapshot!);
            }
        }

        private HashSet<string> Closure(IEnumerable<string> tops)
        {
            var result = new HashSet<string>(StringComparer.Ordinal);
            foreach (var top in tops)
                for (var id = top; id is not null && _nodes.TryGetValue(id, out var row) && result.Add(id);)
                    id = row.Layer.ParentChainId;
            return result;
        }

        private void RemoveRecord(string key)
        {
            if (_removedRecords.Add(key)) Plan.Records.Add(key);
        }

        // Drops one reference to a layer; the last one frees it, which releases its parent in turn.
        private void Release(string chainId)
        {
            for (var id = chainId; id is not null && !_freedLayers.Contains(id) && --_refs[id] == 0;)
            {
                var layer = _nodes[id].Layer;
                FreeLayerOnly(layer);
                id = layer.ParentChainId is { } p && _nodes.ContainsKey(p) ? p : null;
            }
        }

        private void FreeLayer(LayerRecord layer)
        {
            FreeLayerOnly(layer);
            if (layer.ParentChainId is { } parent && _nodes.ContainsKey(parent)) Release(parent);
        }

        private void FreeLayerOnly(LayerRecord layer)
        {
            _freedLayers.Add(layer.ChainId);
            Plan.Layers.Add(layer);
            if (layer.Snapshot is { } snapshot) FreeSnapshot(snapshot);
            if (layer.BlobDigest is { } blob && --_blobRefs[blob.ToString()] == 0) FreeBlob(blob.ToString());
        }

        private void FreeSnapshot(string name)
        {
            if (!_freedSnapshots.Add(name)) return;
            Plan.SnapshotDirectories.Add(name);
            Plan.SnapshotBytes += _inv.SnapshotSizes.GetValueOrDefault(name);
        }

        private void FreeBlob(string digest)
        {
            if (_inv.PinnedBlobs.Contains(digest) || !_inv.BlobSizes.TryGetValue(digest, out var size) || !_freedBlobs.Add(digest)) return;
            Plan.Blobs.Add(digest);
            Plan.BlobBytes += size;
        }
    }
}
