using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Csbuild.TestSupport;

/// <summary>
/// A throwaway certificate authority and a server certificate it signed, for TLS tests against local servers.
/// The server certificate names <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c> by default.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private TestCertificates(X509Certificate2 ca, X509Certificate2 server)
    {
        CaCertificate = ca;
        ServerCertificate = server;
        CaPublicCertificate = X509CertificateLoader.LoadCertificate(ca.RawData);
    }

    /// <summary>The CA with its private key (it signed <see cref="ServerCertificate"/>).</summary>
    public X509Certificate2 CaCertificate { get; }

    /// <summary>The CA without private key: what a client adds to its trusted roots.</summary>
    public X509Certificate2 CaPublicCertificate { get; }

    /// <summary>The server certificate with its private key.</summary>
    public X509Certificate2 ServerCertificate { get; }

    public static TestCertificates Create(IEnumerable<string>? dnsNames = null, IEnumerable<IPAddress>? addresses = null)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=csbuild test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        var caSubjectKeyId = new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false);
        caRequest.CertificateExtensions.Add(caSubjectKeyId);
        var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames ?? ["localhost"]) names.AddDnsName(dns);
        foreach (var ip in addresses ?? [IPAddress.Loopback, IPAddress.IPv6Loopback]) names.AddIpAddress(ip);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], critical: false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(caSubjectKeyId));
        serverRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(serverRequest.PublicKey, critical: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // positive, as Go's x509 parser insists
        using var serverPublic = serverRequest.Create(ca, now.AddDays(-1), now.AddDays(30), serial);
        var server = serverPublic.CopyWithPrivateKey(serverKey);
        return new TestCertificates(ca, server);
    }

    /// <summary>Writes the server certificate and its PKCS#8 key as PEM files (what Go's TLS servers load).</summary>
    public void WriteServerPem(string certificatePath, string keyPath)
    {
        File.WriteAllText(certificatePath, ServerCertificate.ExportCertificatePem() + "\n");
        using var key = ServerCertificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("server certificate has no ECDSA private key");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    public void WriteCaPem(string path) => File.WriteAllText(path, CaCertificate.ExportCertificatePem() + "\n");

    public void Dispose()
    {
        CaCertificate.Dispose();
        CaPublicCertificate.Dispose();
        ServerCertificate.Dispose();
    }
}
