using Csbuild.Frontend.Instructions;
using Csbuild.Oci.Model;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Conversion;

/// <summary>The state of a stage while its instructions are converted: filesystem vertex, image config, environment.</summary>
internal sealed class StageState
{
    public const string HistoryComment = "buildkit.dockerfile.v0";

    public required Stage Stage { get; init; }

    /// <summary>Prefix of progress names (<c>build</c>, <c>stage-1</c>); null for a single-stage Dockerfile.</summary>
    public string? DisplayName { get; init; }

    public required PlatformSpec Platform { get; init; }

    public required bool IgnoreCache { get; init; }

    /// <summary>The vertex whose result is the stage's filesystem so far.</summary>
    public required Vertex State { get; set; }

    public required ImageConfig Config { get; set; }

    /// <summary>The environment RUN steps and expansions see: the image's ENV plus declared ARG values.</summary>
    public required EnvList RunEnv { get; set; }

    /// <summary>ARGs declared in this stage, in order, with their values (null when unset), for RUN's history text.</summary>
    public List<(string Name, string? Value)> BuildArgs { get; } = [];

    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    private EnvList? _configEnv;

    public bool IsDeclaredArg(string name) => _declared.Contains(name);

    public void DeclareArg(string name, string? value)
    {
        BuildArgs.Add((name, value));
        _declared.Add(name);
    }

    /// <summary>The image config's Env, indexed; written back to <see cref="Config"/> on every change.</summary>
    public EnvList ConfigEnv
    {
        get
        {
            if (_configEnv is not null) return _configEnv;
            _configEnv = new EnvList(Config.Config.Env);
            // Keep the config list in the indexed copy's order (a base image could list a key twice).
            if (_configEnv.Count != (Config.Config.Env?.Count ?? 0)) Config.Config.Env = _configEnv.ToList();
            return _configEnv;
        }
    }

    /// <summary>Sets a variable in the image config's Env, replacing an existing one in place.</summary>
    public void SetConfigEnv(string key, string value)
    {
        var env = ConfigEnv;
        var at = env.IndexOf(key);
        env.Set(key, value);
        Config.Config.Env ??= [];
        if (at < 0) Config.Config.Env.Add(key + "=" + value);
        else Config.Config.Env[at] = key + "=" + value;
    }

    /// <summary>This stage's own history entries (those of a stage it is FROM-derived from are in <see cref="Parent"/>).</summary>
    public List<StepHistory> History { get; } = [];

    /// <summary>The stage this one continues (<c>FROM earlier-stage</c>), whose history comes first.</summary>
    public StageState? Parent { get; init; }

    /// <summary>
    /// The history of the image this stage produces: the parents' entries, then this stage's. Built on demand, so a
    /// long chain of derived stages doesn't copy its history at every step.
    /// </summary>
    public List<StepHistory> FullHistory()
    {
        var chain = new Stack<StageState>();
        for (var s = this; s is not null; s = s.Parent) chain.Push(s);
        var all = new List<StepHistory>();
        while (chain.Count > 0) all.AddRange(chain.Pop().History);
        return all;
    }

    /// <summary>Whether CMD was set in this stage (ENTRYPOINT then keeps it).</summary>
    public bool CmdSet { get; set; }

    public int CmdIndex { get; set; }

    public int CmdTotal { get; set; }

    /// <summary>While the base image's ONBUILD triggers run: progress names say so.</summary>
    public bool CmdIsOnBuild { get; set; }

    public string? Lookup(string name) => RunEnv.Get(name);

    public string WorkingDir => string.IsNullOrEmpty(Config.Config.WorkingDir) ? "/" : Config.Config.WorkingDir;

    public IReadOnlyList<string> Shell => Config.Config.Shell is { Count: > 0 } shell ? shell : ["/bin/sh", "-c"];

    /// <summary>A progress name like BuildKit's: <c>[build 2/5] RUN make</c>.</summary>
    public string StepName(string text)
    {
        CmdIndex++;
        var width = (int)(1 + Math.Floor(Math.Log10(Math.Max(1, CmdTotal))));
        var index = CmdIndex.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width);
        var onbuild = CmdIsOnBuild ? "ONBUILD " : "";
        return DisplayName is null ? $"[{index}/{CmdTotal}] {onbuild}{text}" : $"[{DisplayName} {index}/{CmdTotal}] {onbuild}{text}";
    }

    public void AddHistory(string createdBy, Vertex? layer) =>
        History.Add(new StepHistory(layer is null ? createdBy : createdBy + " # buildkit", layer, HistoryComment));

    /// <summary>A history entry without the <c># buildkit</c> suffix for a layer-producing step (WORKDIR's mkdir).</summary>
    public void AddPlainHistory(string createdBy, Vertex? layer) => History.Add(new StepHistory(createdBy, layer, HistoryComment));
}
