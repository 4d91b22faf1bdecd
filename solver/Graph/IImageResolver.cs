using Csbuild.Oci.Model;

namespace Csbuild.Solver.Graph;

/// <summary>A base image resolved to its manifest digest and config, as a frontend needs it to convert a stage.</summary>
public sealed record ResolvedImage(string Reference, Digest ManifestDigest, ImageConfig Config);

/// <summary>Looks base images up (local store, then registry). The solver provides it to frontends.</summary>
public interface IImageResolver
{
    /// <exception cref="ImageNotFoundException">The reference is not known anywhere the resolver looks.</exception>
    Task<ResolvedImage> ResolveAsync(string reference, string? platform, CancellationToken cancellationToken);
}

public sealed class ImageNotFoundException(string reference, string detail)
    : Exception($"image '{reference}' not found: {detail}")
{
    public string Reference { get; } = reference;
}
