using System.Collections.Concurrent;
using Csbuild.Cache;
using Csbuild.Solver.Graph;

namespace Csbuild.Solver.Sources;

/// <summary>
/// The remote inputs of one build (ADD of URLs and git repositories), fetched at most once per build: a
/// download made to compute a cache key is the one the step then copies, and a ref resolves to one commit for
/// the whole build even if the branch moves meanwhile. Downloads live in the root's temp directory under this
/// process's name, so a later run removes whatever this one leaves behind.
/// </summary>
public sealed class RemoteSources(string temporaryDirectory)
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromMinutes(10) };
    private readonly HttpDownloader _downloader = new(Client);
    private readonly ConcurrentDictionary<(string Url, string FileName, string? Checksum), Lazy<Task<DownloadedFile>>> _downloads = new();
    private readonly ConcurrentDictionary<(string Remote, string? Ref), Lazy<Task<string>>> _commits = new();

    public string TemporaryDirectory { get; } = temporaryDirectory;

    /// <summary>The downloaded file, named <see cref="HttpDownloadAction.FileName"/>, alone in its directory.</summary>
    public Task<DownloadedFile> DownloadAsync(HttpDownloadAction action, CancellationToken ct) =>
        _downloads.GetOrAdd((action.Url, action.FileName, action.Checksum), key => new Lazy<Task<DownloadedFile>>(async () =>
        {
            if (key.FileName.Length == 0 || key.FileName is "." or ".." || key.FileName.Contains('/'))
                throw new BuildException($"invalid file name '{key.FileName}' for {HttpDownloader.Redacted(key.Url)}");
            var expected = key.Checksum is null ? (Oci.Model.Digest?)null : HttpDownloader.ParseChecksum(key.Checksum);
            Directory.CreateDirectory(TemporaryDirectory);
            var directory = StaleFiles.NewPath(TemporaryDirectory, "http");
            Directory.CreateDirectory(directory);
            return await _downloader.DownloadAsync(key.Url, Path.Combine(directory, key.FileName), expected, ct);
        })).Value;

    public Task<string> ResolveCommitAsync(GitCloneAction action, CancellationToken ct) =>
        _commits.GetOrAdd((action.Remote, action.Ref), key => new Lazy<Task<string>>(() => GitSource.ResolveCommitAsync(key.Remote, key.Ref, ct))).Value;
}
