using System.Collections.Concurrent;
using Csbuild.Cache;
using Csbuild.Oci.Model;
using Csbuild.Solver.Graph;

namespace Csbuild.Cli.Context;

/// <summary>
/// The image resolver of a build with OCI-layout contexts: <c>oci-layout://NAME@DIGEST</c> references (made by
/// <see cref="BuildContexts"/> after importing the layout's blobs) resolve to that manifest in the content store;
/// every other reference goes to the usual resolver.
/// </summary>
internal sealed class NamedContextResolver(IImageResolver inner, CsbuildRoot root) : IImageResolver
{
    private readonly ConcurrentDictionary<string, ResolvedImage> _layouts = new(StringComparer.Ordinal);

    /// <summary>The reference an imported layout image is known by; machine-independent, so it may enter cache keys.</summary>
    public string Register(string contextName, Digest manifest)
    {
        var reference = OciLayoutImport.Scheme + contextName + "@" + manifest;
        var config = root.Images.ReadConfig(Digest.Parse(root.Images.ReadManifest(manifest).Config.Digest));
        _layouts[reference] = new ResolvedImage(reference, manifest, config);
        return reference;
    }

    public Task<ResolvedImage> ResolveAsync(string reference, string? platform, CancellationToken cancellationToken) =>
        _layouts.TryGetValue(reference, out var resolved) ? Task.FromResult(resolved) : inner.ResolveAsync(reference, platform, cancellationToken);
}
