using Csbuild.Solver.Graph;

namespace Csbuild.Frontend;

/// <summary>A named build context (<c>--build-context NAME=VALUE</c>): what NAME stands for in the Dockerfile.</summary>
public abstract record NamedContext;

/// <summary>A local directory: <c>COPY --from=NAME</c> reads it, <c>FROM NAME</c> starts from its files with an empty config.</summary>
public sealed record LocalNamedContext(LocalSource Source) : NamedContext;

/// <summary>
/// An image, by the reference the image resolver understands (<c>docker-image://REF</c> gives REF; an OCI layout is
/// given a reference of its own that the caller's resolver answers).
/// </summary>
public sealed record ImageNamedContext(string Reference) : NamedContext;

/// <summary>The entitlements <c>--allow</c> can grant, as BuildKit names them.</summary>
public static class Entitlements
{
    public const string NetworkHost = "network.host";
    public const string SecurityInsecure = "security.insecure";

    public static IReadOnlyList<string> All { get; } = [NetworkHost, SecurityInsecure];
}
