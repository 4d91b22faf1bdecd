namespace Csbuild.Solver.Graph;

/// <summary>
/// ADD of a URL: downloads one file and places it as COPY would place a file of that name. The file is named
/// after the URL's last path segment (<c>__unnamed__</c> when it has none), has mode 0600 unless a chmod is
/// given, and its mtime from the response's Last-Modified header, as BuildKit's HTTP source does. The cache key
/// is the URL and <see cref="Checksum"/> when one is given; otherwise the digest of the downloaded content.
/// </summary>
public sealed record HttpDownloadAction : FileAction
{
    public required string Url { get; init; }
    /// <summary>The name the file has before it is placed (the URL's base name).</summary>
    public required string FileName { get; init; }
    public required string Dest { get; init; }
    public bool DestIsDirectory { get; init; }
    /// <summary><c>--checksum=sha256:…</c>: the content must hash to this, and the download is skipped on a cache hit.</summary>
    public string? Checksum { get; init; }
    public Chown? Owner { get; init; }
    public int? Mode { get; init; }
    public SymbolicMode? ModeChange { get; init; }

    public override string CanonicalDefinition() =>
        $"http\0{Url}\0{FileName}\0{Dest}\0{DestIsDirectory}\0{Checksum}\0{Owner}\0{Mode}\0{ModeChange}";
}

/// <summary>
/// ADD of a git repository (<c>https://host/repo.git#ref:subdir</c>, <c>git@host:repo.git</c>): the commit the
/// ref names is checked out with the git CLI and the contents of <see cref="Subdirectory"/> (the whole tree when
/// empty) are copied into the destination directory, without <c>.git</c> unless <see cref="KeepGitDir"/>. The
/// cache key holds the resolved commit, so a moved branch is fetched again and an unchanged one is not.
/// </summary>
public sealed record GitCloneAction : FileAction
{
    /// <summary>What git is given to fetch from (URL or scp-like address), without the fragment.</summary>
    public required string Remote { get; init; }
    /// <summary>Branch, tag, full ref or commit; null for the remote's HEAD.</summary>
    public string? Ref { get; init; }
    public string Subdirectory { get; init; } = "";
    public required string Dest { get; init; }
    public bool KeepGitDir { get; init; }
    public Chown? Owner { get; init; }
    public int? Mode { get; init; }
    public SymbolicMode? ModeChange { get; init; }

    public override string CanonicalDefinition() =>
        $"git\0{Remote}\0{Ref}\0{Subdirectory}\0{Dest}\0{KeepGitDir}\0{Owner}\0{Mode}\0{ModeChange}";
}
