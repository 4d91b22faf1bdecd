using System.Globalization;

namespace Csbuild.Solver.Graph;

/// <summary>The kinds of <c>RUN --mount</c>.</summary>
public enum ExecMountType { Bind, Cache, Tmpfs, Secret, Ssh }

/// <summary>How concurrent steps share a cache mount (<c>sharing=</c>).</summary>
public enum CacheSharing
{
    /// <summary>Every step uses the same directory at the same time.</summary>
    Shared,
    /// <summary>A step that finds the directory in use gets another instance of its own.</summary>
    Private,
    /// <summary>Steps wait for each other: one at a time.</summary>
    Locked,
}

/// <summary>
/// One extra filesystem of a RUN step (<c>RUN --mount=…</c>). Sources from another vertex are named by an
/// index into the exec vertex's inputs, so they enter the cache key by that input's key. Secrets and SSH agents
/// are named by id only: their values are looked up when the step runs and never enter a key or a layer.
/// </summary>
public sealed record ExecMount
{
    public required ExecMountType Type { get; init; }

    /// <summary>Absolute path in the container. Empty only for a secret exposed as an environment variable alone.</summary>
    public required string Target { get; init; }

    /// <summary>For bind and cache mounts: the input (index into <see cref="Vertex.Inputs"/>) the source comes from; null for none.</summary>
    public int? SourceInput { get; init; }

    /// <summary>The path inside <see cref="SourceInput"/> to mount (bind) or to seed a new cache from (cache); "/" for all of it.</summary>
    public string Source { get; init; } = "/";

    public bool ReadOnly { get; init; }

    /// <summary>Cache id (defaults to the target), secret id, or SSH agent id.</summary>
    public string? Id { get; init; }

    public CacheSharing Sharing { get; init; } = CacheSharing.Shared;

    /// <summary>Permission bits of a cache directory, secret file or SSH socket; null for the type's default.</summary>
    public int? Mode { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }

    /// <summary>Secrets: also (or only) expose the value as this environment variable.</summary>
    public string? Env { get; init; }

    /// <summary>Secrets and SSH: fail the step when the build was not given the value.</summary>
    public bool Required { get; init; }

    /// <summary>tmpfs size limit in bytes; null for the kernel default.</summary>
    public long? SizeBytes { get; init; }

    public string CanonicalDefinition() => string.Join('\u0003',
        Type.ToString(), Target, SourceInput?.ToString(CultureInfo.InvariantCulture) ?? "", Source, ReadOnly ? "ro" : "rw", Id ?? "",
        Sharing.ToString(), Mode?.ToString(CultureInfo.InvariantCulture) ?? "", Uid?.ToString(CultureInfo.InvariantCulture) ?? "",
        Gid?.ToString(CultureInfo.InvariantCulture) ?? "", Env ?? "", Required ? "required" : "", SizeBytes?.ToString(CultureInfo.InvariantCulture) ?? "");
}
