using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Conversion;

/// <summary>
/// Finds the <c>--build-context</c> a name in the Dockerfile stands for, as BuildKit's dockerui does: the name as
/// written, else its short image form (<c>docker.io/library/alpine:latest</c> and <c>alpine</c> are one name).
/// </summary>
internal sealed class NamedContexts(IReadOnlyDictionary<string, NamedContext> contexts)
{
    private readonly Dictionary<string, Vertex> _locals = new(StringComparer.Ordinal);

    public bool IsEmpty => contexts.Count == 0;

    /// <summary>The graph's name of a named local directory (the build context itself is "context").</summary>
    public static string LocalName(string name) => "named-context:" + name;

    public (string Name, NamedContext Context)? Find(string reference)
    {
        if (contexts.Count == 0 || reference.Length == 0) return null;
        if (contexts.TryGetValue(reference, out var exact)) return (reference, exact);
        var familiar = Familiar(reference);
        foreach (var (name, context) in contexts)
            if (string.Equals(Familiar(name), familiar, StringComparison.Ordinal)) return (name, context);
        return null;
    }

    /// <summary>The context that replaces a stage called <paramref name="stageName"/> (stage names are lower case).</summary>
    public (string Name, NamedContext Context)? ForStage(string? stageName)
    {
        if (stageName is null) return null;
        foreach (var (name, context) in contexts)
            if (string.Equals(name, stageName, StringComparison.OrdinalIgnoreCase)) return (name, context);
        return null;
    }

    /// <summary>The local directories, by graph name, for <see cref="BuildGraph.Locals"/>.</summary>
    public IEnumerable<KeyValuePair<string, LocalSource>> Locals() =>
        contexts.Where(c => c.Value is LocalNamedContext).Select(c => new KeyValuePair<string, LocalSource>(LocalName(c.Key), ((LocalNamedContext)c.Value).Source));

    /// <summary>One vertex per named directory, shared by every instruction that reads it.</summary>
    public Vertex LocalVertex(string name, bool ignoreCache)
    {
        if (!_locals.TryGetValue(name, out var vertex))
        {
            vertex = new Vertex(new LocalOp(LocalName(name)), $"[internal] load build context {name}") { IgnoreCache = ignoreCache };
            _locals[name] = vertex;
        }
        return vertex;
    }

    /// <summary>The short form Docker prints: no <c>docker.io/library/</c> or <c>docker.io/</c> prefix, no <c>:latest</c>.</summary>
    internal static string Familiar(string reference)
    {
        var name = reference;
        foreach (var prefix in new[] { "docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/" })
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                name = name[prefix.Length..];
                break;
            }
        }
        var slash = name.LastIndexOf('/');
        if (name.EndsWith(":latest", StringComparison.Ordinal) && name.LastIndexOf(':') > slash && !name.Contains('@'))
            name = name[..^":latest".Length];
        return name;
    }
}
