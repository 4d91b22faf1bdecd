using System.Security.Cryptography;
using Csbuild.Oci.Model;

namespace Csbuild.Solver.Sources;

/// <summary>A file fetched over HTTP(S): where it is, what it hashes to and the server's Last-Modified time.</summary>
public sealed record DownloadedFile(string Path, Digest Digest, long Size, DateTimeOffset? LastModified);

/// <summary>
/// Streams an HTTP(S) response body to a file while hashing it (never the whole body in memory), and checks
/// an expected <c>sha256:…</c> checksum before anyone can use the file.
/// </summary>
public sealed class HttpDownloader(HttpClient client)
{
    private const int BufferSize = 1 << 16;

    /// <param name="targetPath">A file path that does not exist yet; on failure nothing is left there.</param>
    public async Task<DownloadedFile> DownloadAsync(string url, string targetPath, Digest? expected, CancellationToken ct)
    {
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
                throw new BuildException($"failed to load {Redacted(url)}: invalid response status {(int)response.StatusCode} {response.ReasonPhrase}");
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            await using (var file = new FileStream(targetPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                var buffer = new byte[BufferSize];
                int n;
                while ((n = await body.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                    size += n;
                }
            }
            var digest = Digest.FromHash(hash.GetHashAndReset());
            if (expected is { } want && want != digest)
                throw new BuildException($"digest mismatch for {Redacted(url)}: expected {want}, got {digest}");
            return new DownloadedFile(targetPath, digest, size, response.Content.Headers.LastModified);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or BuildException)
        {
            File.Delete(targetPath);
            if (e is BuildException) throw;
            throw new BuildException($"failed to load {Redacted(url)}: {e.Message}");
        }
    }

    /// <summary>Parses <c>--checksum</c>: only sha256 digests are accepted (what the content is hashed with).</summary>
    public static Digest ParseChecksum(string checksum)
    {
        if (!Digest.TryParse(checksum, out var digest) || digest.Algorithm != "sha256" || digest.Hex.Length != 64)
            throw new BuildException($"invalid checksum {checksum}: expected sha256:<64 hex digits>");
        return digest;
    }

    /// <summary>A URL for messages: user information (passwords, tokens) removed.</summary>
    public static string Redacted(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString()
            : url;
}
