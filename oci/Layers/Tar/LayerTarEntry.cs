using System.Formats.Tar;

namespace Csbuild.Oci.Layers.Tar;

/// <summary>One extended attribute carried as a PAX <c>SCHILY.xattr.NAME</c> record: raw bytes, since values are binary.</summary>
internal readonly record struct TarXattr(byte[] Name, byte[] Value);

/// <summary>
/// The header of one tar entry as layers use it, after PAX/GNU extensions have been applied. Only the entry
/// types OCI layers contain are represented (<see cref="TarEntryType"/> is reused for the type flag values).
/// </summary>
internal sealed record LayerTarEntry
{
    public required TarEntryType Type { get; init; }

    /// <summary>The path as stored (may have a trailing slash for directories, a leading "./", or even "../").</summary>
    public required string Name { get; init; }

    public string LinkName { get; init; } = "";

    /// <summary>Permission bits including setuid (04000), setgid (02000) and sticky (01000); no file type bits.</summary>
    public int Mode { get; init; }

    public int Uid { get; init; }
    public int Gid { get; init; }

    /// <summary>Length of the data that follows the header (0 for everything but regular files).</summary>
    public long Size { get; init; }

    public long ModificationTimeSeconds { get; init; }
    public int ModificationTimeNanoseconds { get; init; }
    public int DeviceMajor { get; init; }
    public int DeviceMinor { get; init; }
    public IReadOnlyList<TarXattr> Xattrs { get; init; } = [];
}
