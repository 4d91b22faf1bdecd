using System.Security.Cryptography.X509Certificates;
using Csbuild.Oci.Registry.Credentials;

namespace Csbuild.Oci.Registry;

/// <summary>How a <see cref="RegistryClient"/> connects, authenticates, retries and uploads.</summary>
public sealed record RegistryOptions
{
    /// <summary>Where credentials come from; by default CI environment variables, then <c>~/.docker/config.json</c>.</summary>
    public ICredentialProvider Credentials { get; init; } = ChainedCredentialProvider.CreateDefault();

    /// <summary>
    /// Registries (host[:port]) that may be reached over plain HTTP and whose TLS certificates are not verified,
    /// as Docker's <c>insecure-registries</c>. <c>localhost</c>, <c>127.0.0.1</c> and <c>[::1]</c> may use plain HTTP
    /// without being listed, but when they do speak TLS their certificate is still verified.
    /// </summary>
    public IReadOnlyCollection<string> InsecureRegistries { get; init; } = [];

    /// <summary>
    /// Pull mirrors by registry host (host[:port] → mirror hosts), asked in order before the registry itself for manifests
    /// and blobs, never for pushes. A mirror is asked once, without retries: on any failure the next source is asked,
    /// and a mirror that cannot be reached at all is skipped for the rest of the client's life.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Mirrors { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Extra CA certificates trusted in addition to the system trust store (e.g. a private registry's CA).</summary>
    public X509Certificate2Collection TrustedRootCertificates { get; init; } = [];

    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>Blobs up to this size are uploaded with one PUT; larger ones in PATCH chunks of <see cref="UploadChunkSize"/>.</summary>
    public long ChunkedUploadThreshold { get; init; } = 64L * 1024 * 1024;

    public long UploadChunkSize { get; init; } = 16L * 1024 * 1024;

    /// <summary>Manifests larger than this are refused rather than read into memory (containerd uses the same 4 MiB limit).</summary>
    public int MaxManifestSize { get; init; } = 4 * 1024 * 1024;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string UserAgent { get; init; } = "csbuild/" + (typeof(RegistryOptions).Assembly.GetName().Version?.ToString(3) ?? "0");

    /// <summary>
    /// Wraps the transport, e.g. with a <see cref="DelegatingHandler"/> that logs or counts requests. It receives the
    /// configured <see cref="SocketsHttpHandler"/> and returns the handler the client sends through.
    /// </summary>
    public Func<HttpMessageHandler, HttpMessageHandler>? WrapHandler { get; init; }

    internal bool IsMirror(string registry) =>
        Mirrors.Values.Any(list => list.Contains(registry, StringComparer.OrdinalIgnoreCase));

    internal bool IsExplicitlyInsecure(string registry) =>
        InsecureRegistries.Any(r => string.Equals(r, registry, StringComparison.OrdinalIgnoreCase));

    internal bool MayUsePlainHttp(string registry) => IsExplicitlyInsecure(registry) || IsLoopback(registry);

    internal static bool IsLoopback(string registry)
    {
        var host = registry;
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']');
            host = close > 0 ? host[1..close] : host;
        }
        else
        {
            int colon = host.LastIndexOf(':');
            if (colon >= 0) host = host[..colon];
        }
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
    }
}
