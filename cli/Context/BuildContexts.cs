using Csbuild.Cache;
using Csbuild.Frontend;
using Csbuild.Solver.Graph;

namespace Csbuild.Cli.Context;

/// <summary>
/// <c>--build-context NAME=VALUE</c>, as buildx reads it: VALUE is <c>docker-image://REF</c>,
/// <c>oci-layout://PATH[:TAG|@DIGEST]</c>, a git or http(s) tarball URL, or a local directory.
/// Remote contexts are fetched into temporary directories owned by this object.
/// </summary>
internal sealed class BuildContexts : IDisposable
{
    private readonly List<PreparedContext> _prepared = [];

    public Dictionary<string, NamedContext> Contexts { get; } = new(StringComparer.Ordinal);

    public static async Task<BuildContexts> ParseAsync(IEnumerable<string> values, CsbuildRoot root, NamedContextResolver resolver, string platform, CancellationToken ct)
    {
        var result = new BuildContexts();
        try
        {
            foreach (var text in values)
            {
                var eq = text.IndexOf('=');
                if (eq <= 0 || eq == text.Length - 1)
                    throw new CliException($"invalid --build-context \"{text}\": expected NAME=VALUE (a directory, docker-image://REF, oci-layout://PATH, or a git/https URL)");
                var name = text[..eq];
                var value = text[(eq + 1)..];
                if (result.Contexts.ContainsKey(name)) throw new CliException($"--build-context {name} is given more than once");
                result.Contexts[name] = await ResolveAsync(name, value, root, resolver, platform, result, ct);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static async Task<NamedContext> ResolveAsync(string name, string value, CsbuildRoot root, NamedContextResolver resolver, string platform, BuildContexts owner, CancellationToken ct)
    {
        const string image = "docker-image://";
        if (value.StartsWith(image, StringComparison.Ordinal))
        {
            var reference = value[image.Length..];
            if (!Oci.Registry.ImageReference.TryParse(reference, out _, out var error))
                throw new CliException($"invalid --build-context {name}: \"{reference}\" is not an image reference: {error}");
            return new ImageNamedContext(reference);
        }
        if (value.StartsWith(OciLayoutImport.Scheme, StringComparison.Ordinal))
        {
            var manifest = await OciLayoutImport.ImportAsync(root, value, platform, ct);
            return new ImageNamedContext(resolver.Register(name, manifest));
        }
        if (value.StartsWith("target:", StringComparison.Ordinal))
            throw new CliException($"--build-context {name}={value}: target: contexts belong to 'buildx bake', which csbuild does not implement");
        if (ContextAddress.Classify(value) is ContextKind.Git or ContextKind.Url)
        {
            var prepared = await PreparedContext.PrepareAsync(value, root.TempDirectory, ct);
            owner._prepared.Add(prepared);
            if (prepared.DockerfileText is not null)
                throw new CliException($"--build-context {name}={value}: the URL serves a file, not a tar archive");
            return new LocalNamedContext(new LocalSource(prepared.Directory, DockerIgnore.Read(prepared.Directory)));
        }
        if (value.Contains("://", StringComparison.Ordinal))
            throw new CliException($"--build-context {name}={value}: unsupported scheme (use docker-image://, oci-layout://, a git or http(s) URL, or a directory)");
        var directory = Path.GetFullPath(value);
        if (!Directory.Exists(directory)) throw new CliException($"--build-context {name}: directory \"{value}\" not found");
        return new LocalNamedContext(new LocalSource(directory, DockerIgnore.Read(directory)));
    }

    public void Dispose()
    {
        foreach (var prepared in _prepared) prepared.Dispose();
        _prepared.Clear();
    }
}
