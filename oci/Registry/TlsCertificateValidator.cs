using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Csbuild.Oci.Registry;

/// <summary>
/// Validates registry TLS certificates against the system trust store plus <see cref="RegistryOptions.TrustedRootCertificates"/>,
/// skips validation for explicitly insecure registries, and remembers why a certificate was refused so the error
/// message can say so (the framework's own message only says "rejected by the validation callback").
/// </summary>
internal sealed class TlsCertificateValidator(RegistryOptions options)
{
    private readonly ConcurrentDictionary<string, string> _lastFailure = new(StringComparer.OrdinalIgnoreCase);

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var host = (sender as SslStream)?.TargetHostName ?? "";
        if (errors == SslPolicyErrors.None) return true;
        if (IsInsecureHost(host)) return true;

        if (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null && options.TrustedRootCertificates.Count > 0)
        {
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(options.TrustedRootCertificates);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
                foreach (var element in chain.ChainElements)
                    custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            using var leaf = new X509Certificate2(certificate);
            if (custom.Build(leaf)) return true;
            _lastFailure[host] = "certificate chain not trusted: " + string.Join(", ", custom.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            return false;
        }

        _lastFailure[host] = errors switch
        {
            SslPolicyErrors.RemoteCertificateNameMismatch => "certificate does not name this host",
            SslPolicyErrors.RemoteCertificateNotAvailable => "server sent no certificate",
            _ when errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && chain is not null =>
                "certificate chain not trusted: " + string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct())
                + (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) ? "; certificate does not name this host" : ""),
            _ => errors.ToString(),
        };
        return false;
    }

    /// <summary>The reason the last certificate from <paramref name="host"/> (no port) was refused, if any.</summary>
    public string? LastFailure(string host) => _lastFailure.GetValueOrDefault(host);

    private bool IsInsecureHost(string host) =>
        options.InsecureRegistries.Any(r => string.Equals(HostPart(r), host, StringComparison.OrdinalIgnoreCase));

    internal static string HostPart(string registry)
    {
        if (registry.StartsWith('['))
        {
            int close = registry.IndexOf(']');
            return close > 0 ? registry[1..close] : registry;
        }
        int colon = registry.LastIndexOf(':');
        return colon >= 0 ? registry[..colon] : registry;
    }
}
