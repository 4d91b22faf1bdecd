using Csbuild.Solver.Graph;

namespace Csbuild.Frontend;

/// <summary>What a build asks of the Dockerfile frontend.</summary>
public sealed record FrontendRequest
{
    public required string DockerfileText { get; init; }

    /// <summary>The name used in error messages (FILE:LINE:COL).</summary>
    public string DockerfileName { get; init; } = "Dockerfile";

    /// <summary><c>--build-arg</c> values.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    /// <summary>The stage to build (<c>--target</c>); the last stage when null.</summary>
    public string? Target { get; init; }

    /// <summary>The build context directory and its .dockerignore patterns.</summary>
    public required LocalSource Context { get; init; }

    /// <summary>Sets <see cref="Vertex.IgnoreCache"/> on every vertex.</summary>
    public bool NoCache { get; init; }

    /// <summary>Stage names whose vertices ignore the cache.</summary>
    public IReadOnlyList<string> NoCacheFilter { get; init; } = [];

    /// <summary>Target platform, <c>os/arch[/variant]</c>.</summary>
    public string Platform { get; init; } = PlatformSpec.Host;

    /// <summary>
    /// <c>--build-context NAME=…</c>: each replaces the stage or image called NAME in <c>FROM</c>, <c>COPY --from</c>
    /// and <c>RUN --mount from=</c>. Image names match in their short form (<c>alpine</c> = <c>docker.io/library/alpine:latest</c>).
    /// </summary>
    public IReadOnlyDictionary<string, NamedContext> NamedContexts { get; init; } = new Dictionary<string, NamedContext>();

    /// <summary><c>--allow</c>: the entitlements granted (<c>network.host</c>, <c>security.insecure</c>); see <see cref="Entitlements"/>.</summary>
    public IReadOnlySet<string> AllowedEntitlements { get; init; } = new HashSet<string>();

    /// <summary><c>--label</c> values, applied to the final image config.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}
