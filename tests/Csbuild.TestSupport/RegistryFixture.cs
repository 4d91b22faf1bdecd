using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Csbuild.Oci.Registry;
using Csbuild.Oci.Registry.Credentials;

namespace Csbuild.TestSupport;

/// <summary>How to start the test registry: optional htpasswd Basic auth and optional TLS with a test CA.</summary>
public sealed record RegistryFixtureOptions
{
    /// <summary>With a user name and password the registry requires Basic auth (htpasswd, bcrypt).</summary>
    public string? Username { get; init; }
    public string? Password { get; init; }

    /// <summary>Serve HTTPS with a certificate from a fresh <see cref="TestCertificates"/> CA.</summary>
    public bool Tls { get; init; }
}

/// <summary>
/// A real registry (Debian's <c>docker-registry</c>, the CNCF distribution server) on a free 127.0.0.1 port with its
/// own temporary storage. Usable as an xunit class or collection fixture: the public constructor starts a plain-HTTP
/// registry without auth; for auth or TLS derive a fixture class that calls the protected options constructor
/// (xunit wants exactly one public constructor), or call <see cref="Start"/>. Dispose stops it and deletes its files.
/// </summary>
public class RegistryFixture : IDisposable
{
    public const string RegistryBinary = "/usr/bin/docker-registry";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private const int MaxLogLines = 300;

    private readonly Process? _process;
    private readonly Queue<string> _log = new();
    private bool _disposed;

    public RegistryFixture() : this(new RegistryFixtureOptions()) { }

    protected RegistryFixture(RegistryFixtureOptions options)
    {
        if (!File.Exists(RegistryBinary))
            throw new InvalidOperationException($"{RegistryBinary} is missing: apt-get install docker-registry");
        if ((options.Username is null) != (options.Password is null))
            throw new ArgumentException("give both Username and Password, or neither", nameof(options));

        Options = options;
        RootDirectory = Directory.CreateTempSubdirectory("csbuild-registry-").FullName;
        StorageDirectory = Path.Combine(RootDirectory, "storage");
        Directory.CreateDirectory(StorageDirectory);
        try
        {
            string? htpasswd = null;
            if (options.Username is not null)
            {
                htpasswd = Path.Combine(RootDirectory, "htpasswd");
                File.WriteAllText(htpasswd, CreateHtpasswdLine(options.Username, options.Password!));
            }
            string? certificate = null, key = null;
            if (options.Tls)
            {
                Certificates = TestCertificates.Create();
                certificate = Path.Combine(RootDirectory, "server.crt");
                key = Path.Combine(RootDirectory, "server.key");
                Certificates.WriteServerPem(certificate, key);
            }

            Port = FreePort();
            var configPath = Path.Combine(RootDirectory, "config.yml");
            File.WriteAllText(configPath, BuildConfig(Port, StorageDirectory, htpasswd, certificate, key));
            _process = StartProcess(configPath);
            WaitUntilServing(_process);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Starts a registry outside xunit's fixture mechanism; the caller disposes it.</summary>
    public static RegistryFixture Start(RegistryFixtureOptions options) => new(options);

    public RegistryFixtureOptions Options { get; }

    /// <summary><c>127.0.0.1:PORT</c>, the registry part of image references.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public int Port { get; }
    public bool UsesTls => Options.Tls;
    public Uri BaseUri => new($"{(UsesTls ? "https" : "http")}://{Host}/");
    public string RootDirectory { get; }
    public string StorageDirectory { get; }

    /// <summary>The test CA and server certificate when <see cref="RegistryFixtureOptions.Tls"/> is set.</summary>
    public TestCertificates? Certificates { get; }

    public string? Username => Options.Username;
    public string? Password => Options.Password;

    /// <summary>The registry's recent log lines, for failure messages.</summary>
    public string RecentLog
    {
        get { lock (_log) return string.Join('\n', _log); }
    }

    /// <summary>
    /// Client options that work with this registry: its credentials (or none, never the machine's docker config) and,
    /// with TLS, the test CA as a trusted root.
    /// </summary>
    public RegistryOptions CreateClientOptions() => new()
    {
        Credentials = Username is null
            ? AnonymousCredentialProvider.Instance
            : new StaticCredentialProvider(new RegistryCredential(Username, Password), Host),
        TrustedRootCertificates = Certificates is null ? [] : [Certificates.CaPublicCertificate],
    };

    /// <summary>A reference into this registry, e.g. <c>Reference("app:1")</c> → <c>127.0.0.1:PORT/app:1</c>.</summary>
    public string Reference(string repositoryAndTag) => $"{Host}/{repositoryAndTag}";

    /// <summary>A bcrypt htpasswd line, made by <c>htpasswd -Bbn</c> (apache2-utils) as the registry only accepts bcrypt.</summary>
    public static string CreateHtpasswdLine(string username, string password)
    {
        var startInfo = new ProcessStartInfo("htpasswd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-Bbn", username, password]) startInfo.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(startInfo)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("htpasswd is missing: apt-get install apache2-utils", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"htpasswd failed ({process.ExitCode}): {error.Trim()}");
            return output.Trim() + "\n";
        }
    }

    private static string BuildConfig(int port, string storage, string? htpasswd, string? certificate, string? key)
    {
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var yaml = $"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {storage}
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: 127.0.0.1:{port}
              secret: {secret}

            """;
        if (certificate is not null)
            yaml += $"""
                  tls:
                    certificate: {certificate}
                    key: {key}

                """;
        if (htpasswd is not null)
            yaml += $"""
                auth:
                  htpasswd:
                    realm: csbuild-test
                    path: {htpasswd}

                """;
        return yaml;
    }

    private Process StartProcess(string configPath)
    {
        var startInfo = new ProcessStartInfo(RegistryBinary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RootDirectory,
        };
        startInfo.ArgumentList.Add("serve");
        startInfo.ArgumentList.Add(configPath);
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("could not start " + RegistryBinary);
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Remember(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > MaxLogLines) _log.Dequeue();
        }
    }

    private void WaitUntilServing(Process process)
    {
        using var handler = new HttpClientHandler
        {
            // Readiness only: the test CA is checked by the tests themselves.
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"docker-registry exited with code {process.ExitCode} on start:\n{RecentLog}");
            try
            {
                using var response = http.GetAsync(new Uri(BaseUri, "/v2/")).GetAwaiter().GetResult();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            Thread.Sleep(100);
        }
        throw new TimeoutException($"docker-registry did not answer on {BaseUri} within {StartTimeout.TotalSeconds} s:\n{RecentLog}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    protected virtual void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        if (_process is not null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException) { /* already gone */ }
            _process.Dispose();
        }
        Certificates?.Dispose();
        try
        {
            Directory.Delete(RootDirectory, recursive: true);
        }
        catch (IOException) { /* best effort: a leftover temp dir is not worth failing a test run */ }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
