namespace Csbuild.Solver.Graph;

/// <summary>The operation of a vertex. Every op has a canonical definition string that enters its cache key.</summary>
public abstract record Op
{
    /// <summary>A stable, machine-independent text of what this op does (no ids, paths or times).</summary>
    public abstract string CanonicalDefinition();
}

/// <summary>An empty filesystem (<c>FROM scratch</c>).</summary>
public sealed record ScratchOp : Op
{
    public override string CanonicalDefinition() => "scratch";
}

/// <summary>A base image, by reference; the solver resolves it to a manifest digest.</summary>
public sealed record ImageOp(string Reference, string? Platform = null) : Op
{
    public override string CanonicalDefinition() => $"image\0{Reference}\0{Platform}";
}

/// <summary>A local directory given to the build (the context, or a named <c>--build-context</c>).</summary>
public sealed record LocalOp(string Name) : Op
{
    public override string CanonicalDefinition() => $"local\0{Name}";
}

public enum NetworkMode { Default, None, Host }

/// <summary>A RUN step: a process executed in a container on top of input 0.</summary>
public sealed record ExecOp : Op
{
    public required IReadOnlyList<string> Args { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public string User { get; init; } = "";
    public string WorkingDir { get; init; } = "/";
    public NetworkMode Network { get; init; } = NetworkMode.Default;
    public string Hostname { get; init; } = "buildkitsandbox";
    /// <summary>RUN --mount: extra filesystems, secrets and agent sockets (see <see cref="ExecMount"/>).</summary>
    public IReadOnlyList<ExecMount> Mounts { get; init; } = [];
    /// <summary>
    /// Predefined proxy variables (<c>HTTP_PROXY</c>… given as <c>--build-arg</c> without an ARG declaration): added
    /// to the step's environment but, as BuildKit's ProxyEnv, kept out of the canonical definition, so a build
    /// behind another proxy hits the same cache.
    /// </summary>
    public IReadOnlyList<string> ProxyEnv { get; init; } = [];

    // Mounts are appended only when present, so the keys of steps without mounts stay as they were. ProxyEnv never enters.
    public override string CanonicalDefinition() =>
        "exec\0" + string.Join('\u0001', Args) + "\0" + string.Join('\u0001', Env) + "\0" + User + "\0" + WorkingDir + "\0" + Network +
        (Mounts.Count == 0 ? "" : "\0mounts\0" + string.Join('\u0002', Mounts.Select(m => m.CanonicalDefinition())));
}

/// <summary>Filesystem changes made without a container (COPY, ADD, WORKDIR's mkdir) on top of input 0.</summary>
public sealed record FileOp(IReadOnlyList<FileAction> Actions) : Op
{
    public override string CanonicalDefinition() => "file\0" + string.Join('\u0002', Actions.Select(a => a.CanonicalDefinition()));
}

public abstract record FileAction
{
    public abstract string CanonicalDefinition();
}

/// <summary>An owner given as names or ids (<c>--chown=user:group</c>); names are resolved in the destination filesystem.</summary>
public sealed record Chown(string User, string? Group)
{
    public override string ToString() => Group is null ? User : User + ":" + Group;
}

/// <summary>
/// Copies paths selected from another vertex's result (Inputs[SourceInput]) into the destination.
/// Sources are paths or wildcard patterns relative to the source root; Dest is absolute.
/// </summary>
public sealed record CopyAction : FileAction
{
    public required int SourceInput { get; init; }
    public required IReadOnlyList<string> Sources { get; init; }
    public required string Dest { get; init; }
    public Chown? Owner { get; init; }
    /// <summary>Octal mode applied to every copied file and directory, e.g. 0755; null keeps the source modes.</summary>
    public int? Mode { get; init; }
    /// <summary>Whether the destination names a directory (ends with '/' or several sources).</summary>
    public bool DestIsDirectory { get; init; }
    public IReadOnlyList<string> Excludes { get; init; } = [];
    public bool FollowSymlinks { get; init; } = true;
    /// <summary>A symbolic <c>--chmod</c> (<c>u+x,g-w</c>) applied to each copied entry's own mode; exclusive with <see cref="Mode"/>.</summary>
    public SymbolicMode? ModeChange { get; init; }
    /// <summary>COPY --parents: each source keeps its parent directories below the destination (from a <c>/./</c> pivot if present).</summary>
    public bool IncludeParents { get; init; }
    /// <summary>ADD: a source that is a tar archive (plain, gzip, bzip2, xz or zstd) is unpacked into the destination directory.</summary>
    public bool AttemptUnpack { get; init; }

    // The newer options are appended only when set, so the keys of plain copies stay as they were.
    public override string CanonicalDefinition() =>
        $"copy\0{SourceInput}\0{string.Join('\u0001', Sources)}\0{Dest}\0{Owner}\0{Mode}\0{DestIsDirectory}\0{string.Join('\u0001', Excludes)}\0{FollowSymlinks}" +
        (ModeChange is null ? "" : $"\0chmod={ModeChange}") + (IncludeParents ? "\0parents" : "") + (AttemptUnpack ? "\0unpack" : "");
}

/// <summary>Writes a file with the given content (heredoc COPY sources).</summary>
public sealed record WriteFileAction(string Path, byte[] Content, int Mode = 0b110_100_100, Chown? Owner = null) : FileAction
{
    public override string CanonicalDefinition() =>
        $"write\0{Path}\0{Oci.Model.Digest.Of(Content)}\0{Mode}\0{Owner}";
}

/// <summary>Creates a directory and its missing parents (WORKDIR).</summary>
public sealed record MkdirAction(string Path, int Mode = 0b111_101_101, Chown? Owner = null) : FileAction
{
    public override string CanonicalDefinition() => $"mkdir\0{Path}\0{Mode}\0{Owner}";
}
