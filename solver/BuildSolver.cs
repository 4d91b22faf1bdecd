using System.Collections.Concurrent;
using System.Diagnostics;
using Csbuild.Cache;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Ops;
using Csbuild.Solver.Progress;

namespace Csbuild.Solver;

/// <summary>
/// Runs a build graph: each vertex is solved at most once; a vertex whose key has a usable cache record is
/// not executed and its inputs are not even solved (lazy). Independent vertices run in parallel, bounded by
/// <see cref="SolveOptions.Jobs"/>; the first failure cancels the rest.
/// </summary>
public sealed class BuildSolver
{
    private readonly CsbuildRoot _root;
    private readonly BuildGraph _graph;
    private readonly SolveOptions _options;
    private readonly IProgressSink _progress;
    private readonly CacheKeys _keys;
    private readonly OpRunners _runners;
    private readonly SemaphoreSlim _slots;
    private readonly Context.StatDigestCache _digests;
    private readonly ConcurrentDictionary<Vertex, byte> _announcedCached = new();
    private CancellationTokenSource? _failFast;
    private readonly ConcurrentDictionary<Vertex, Lazy<Task<SolvedRef>>> _results = new();
    private readonly ConcurrentDictionary<Vertex, Cache.Metadata.CacheRecord> _records = new();

    public BuildSolver(CsbuildRoot root, BuildGraph graph, IImageResolver images, SolveOptions options, IProgressSink progress)
    {
        _root = root;
        _graph = graph;
        _options = options;
        _progress = progress;
        _digests = new Context.StatDigestCache(root.Database);
        _keys = new CacheKeys(graph, images, _digests, new Sources.RemoteSources(root.TempDirectory), ChainSourceAsync);
        // The steps whose layers the exported image is made of: their blobs are written when they are committed.
        var imageVertices = StageSteps(graph.Output).ToHashSet();
        _runners = new OpRunners(root, images, _keys, options, progress, imageVertices.Contains);
        _slots = new SemaphoreSlim(Math.Max(1, options.Jobs));
    }

    public CacheKeys Keys => _keys;

    /// <summary>The caches imported with <c>--cache-from</c>, if any.</summary>
    public Cache.Remote.ImportedCache? CacheImport => _options.CacheImport;

    public async Task<SolvedRef> SolveAsync(CancellationToken cancellationToken)
    {
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _failFast = failFast;
        OrphanContainers.Reap(_root, _options.RuntimePath); // left running by a build killed mid-RUN
        try
        {
            return await Solve(_graph.Output, failFast.Token);
        }
        catch
        {
            await failFast.CancelAsync();
            throw;
        }
        finally
        {
            _digests.Save();
        }
    }

    private Task<SolvedRef> Solve(Vertex vertex, CancellationToken ct) =>
        _results.GetOrAdd(vertex, v => new Lazy<Task<SolvedRef>>(() => SolveOnce(v, ct))).Value;

    private async Task<SolvedRef> SolveOnce(Vertex vertex, CancellationToken ct)
    {
        switch (vertex.Op)
        {
            case LocalOp local:
                return new LocalRef(_graph.Locals[local.Name]);
            case ScratchOp:
                return new ChainRef(null);
        }

        var key = await KeyOrFailAsync(vertex, _keys.KeyOf, ct);
        if (vertex.Op is ImageOp image)
            return await _runners.Image.RunAsync(vertex, image, ct);

        if (TryCached(vertex, key, out var cached) && await StageRecordsHeldAsync(vertex, ct))
            return Hit(vertex, cached);
        var contentKey = vertex.IgnoreCache || !_keys.HasContentKey(vertex) ? null : await KeyOrFailAsync(vertex, _keys.ContentKeyOf, ct);
        if (contentKey is not null && TryCachedByContent(vertex, key, contentKey, out var sameContent) && await StageRecordsHeldAsync(vertex, ct))
            return Hit(vertex, sameContent);

        var inputs = await Task.WhenAll(vertex.Inputs.Select(input => Solve(input, ct)));
        // Another process may be running this very step: wait for it and use its result rather than race it.
        using var stepLock = await _root.LockStepAsync(key, ct);
        if (TryCached(vertex, key, out var made) && await StageRecordsHeldAsync(vertex, ct))
        {
            Report(new VertexCached(vertex.Id, vertex.Name, DateTimeOffset.UtcNow));
            return new ChainRef(made);
        }
        await _slots.WaitAsync(ct);
        var started = Stopwatch.StartNew();
        try
        {
            Report(new VertexStarted(vertex.Id, vertex.Name, DateTimeOffset.UtcNow));
            var baseChain = inputs.Length > 0 && inputs[0] is ChainRef c ? c.TopChainId : null;
            var result = vertex.Op switch
            {
                ExecOp exec => await _runners.Exec.RunAsync(vertex, exec, baseChain, inputs, ct),
                FileOp file => await Task.Run(() => _runners.File.Run(vertex, file, inputs, ct), ct),
                _ => throw new BuildException($"the solver cannot execute {vertex.Op.GetType().Name} vertices"),
            };
            var created = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            _root.Database.PutRecord(key, result, baseChain, vertex.Name, created);
            if (contentKey is not null) _root.Database.PutRecord(contentKey, result, baseChain, vertex.Name, created);
            _records[vertex] = new Cache.Metadata.CacheRecord(key, result, baseChain, created);
            Report(new VertexCompleted(vertex.Id, vertex.Name, DateTimeOffset.UtcNow, started.Elapsed));
            return new ChainRef(result);
        }
        catch (OperationCanceledException)
        {
            Report(new VertexFailed(vertex.Id, vertex.Name, DateTimeOffset.UtcNow, "canceled"));
            throw;
        }
        catch (Exception e)
        {
            Report(new VertexFailed(vertex.Id, vertex.Name, DateTimeOffset.UtcNow, e.Message));
            _failFast?.Cancel(); // the first failure stops the steps running beside it
            if (e is BuildException) throw;
            throw new StepFailedException(vertex.Name, e.Message, e);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>The cache record of a solved vertex: whether it added a layer, and when that result was built.</summary>
    public async Task<Cache.Metadata.CacheRecord?> RecordOfAsync(Vertex vertex, CancellationToken ct)
    {
        if (_records.TryGetValue(vertex, out var held)) return held;
        var key = await _keys.KeyOf(vertex, ct);
        // A step skipped below an imported hit has no local record; the imported cache knows its result.
        return _root.Database.FindRecord(key, touch: false) ?? _options.CacheImport?.RecordOf(key);
    }

    private void Report(ProgressEvent e) => _progress.Report(e);

    /// <summary>A step and those below it in its stage (and the stages it is FROM): input 0 down to the base image.</summary>
    private static IEnumerable<Vertex> StageSteps(Vertex top)
    {
        for (var vertex = top; vertex is not null && vertex.Op is not (ImageOp or LocalOp or ScratchOp);
             vertex = vertex.Inputs.Count > 0 ? vertex.Inputs[0] : null)
            yield return vertex;
    }

    /// <summary>
    /// A usable result for the key: a local record first, then the imported caches (<c>--cache-from</c>), whose hit
    /// becomes a local record with layers that are fetched only if something reads them.
    /// </summary>
    private bool TryCached(Vertex vertex, string key, out string? chainId)
    {
        chainId = null;
        if (vertex.IgnoreCache) return false;
        // Lease the record's chain before checking it: a collector in another process then either sees the lease
        // and keeps the chain, or has already deleted its rows and the check fails (the step runs again).
        if (_root.Database.FindRecord(key) is { } record && Lease(record.ChainId) && _runners.ChainUsable(record.ChainId))
        {
            chainId = record.ChainId;
            return true;
        }
        if (_options.CacheImport?.Materialize(_root, key, vertex.Name) is { } imported && _runners.ChainUsable(imported.ChainId))
        {
            chainId = imported.ChainId;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Holds the records of a hit and of the steps below it in its stage (input 0 down to the base image), which the
    /// image's history is made from. A collector in another process may have dropped some of those records while
    /// keeping the one that hit (least recently used first); such a hit is not taken — the steps are solved, and run
    /// where they must — rather than giving an image whose history calls a layer-adding step empty. The records read
    /// here are touched, so they stay at least as recent as the hit above them.
    /// </summary>
    private async Task<bool> StageRecordsHeldAsync(Vertex hit, CancellationToken ct)
    {
        var found = new List<(Vertex, Cache.Metadata.CacheRecord)>();
        foreach (var vertex in StageSteps(hit))
        {
            if (_records.ContainsKey(vertex)) break; // solved in this build: it and what is below it are held already
            var key = await _keys.KeyOf(vertex, ct);
            var record = _root.Database.FindRecord(key, touch: false) ?? _options.CacheImport?.RecordOf(key);
            if (record is null) return false;
            found.Add((vertex, record));
        }
        _root.Database.TouchRecords(found.Select(f => f.Item2.Key).ToList());
        foreach (var (vertex, record) in found) _records.TryAdd(vertex, record);
        return true;
    }

    /// <summary>A key of the vertex (definition or content); a failure to compute it is the step's failure.</summary>
    private async Task<string> KeyOrFailAsync(Vertex vertex, Func<Vertex, CancellationToken, Task<string>> keyOf, CancellationToken ct)
    {
        try
        {
            return await keyOf(vertex, ct);
        }
        catch (Exception e) when (e is BuildException or Graph.ImageNotFoundException or IOException)
        {
            Report(new VertexFailed(vertex.Id, vertex.Name, DateTimeOffset.UtcNow, e.Message));
            throw e is BuildException ? e : new StepFailedException(vertex.Name, e.Message, e);
        }
    }

    /// <summary>A cache hit, shown as BuildKit shows one: the step and the unsolved steps below it as CACHED.</summary>
    private ChainRef Hit(Vertex vertex, string? chainId)
    {
        ReportCachedAncestors(vertex);
        Report(new VertexCached(vertex.Id, vertex.Name, DateTimeOffset.UtcNow));
        return new ChainRef(chainId);
    }

    /// <summary>
    /// A local record under the content key: the step's copied files are the same as when it last ran, though what made
    /// them ran again. The record is also filed under the definition key, so the next identical build hits at once.
    /// </summary>
    private bool TryCachedByContent(Vertex vertex, string key, string contentKey, out string? chainId)
    {
        chainId = null;
        if (_root.Database.FindRecord(contentKey) is not { } record || !Lease(record.ChainId) || !_runners.ChainUsable(record.ChainId)) return false;
        _root.Database.PutRecord(key, record.ChainId, record.BaseChainId, vertex.Name, record.Created);
        chainId = record.ChainId;
        return true;
    }

    /// <summary>A stage's or image's result as a copy source, for content keys: solved (from the cache or by running it) and unpacked.</summary>
    private async Task<Context.ICopySource> ChainSourceAsync(Vertex vertex, CancellationToken ct)
    {
        var solved = await Solve(vertex, ct);
        if (solved is not ChainRef chain) throw new BuildException($"{vertex.Name} is not a filesystem to copy from");
        return new Context.ChainCopySource(new Snapshots.LayerChainView(_runners.Directories(chain.TopChainId)));
    }

    private bool Lease(string? chainId)
    {
        _root.Lease.Add(chainId);
        return true;
    }

    // A hit is not solved further, but users expect to see every step of it as CACHED, as BuildKit shows them.
    private void ReportCachedAncestors(Vertex vertex)
    {
        foreach (var input in vertex.Inputs)
        {
            if (input.Op is LocalOp or ScratchOp) continue;
            if (_results.ContainsKey(input) || !_announcedCached.TryAdd(input, 0)) continue;
            ReportCachedAncestors(input);
            Report(new VertexCached(input.Id, input.Name, DateTimeOffset.UtcNow));
        }
    }
}
