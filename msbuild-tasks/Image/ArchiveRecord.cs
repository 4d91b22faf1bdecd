using Csbuild.Oci.Model;

namespace Csbuild.Containers.Image;

/// <summary>
/// Remembers (in obj/) which image the archive at ContainerArchiveOutputPath holds, with the file's size and mtime,
/// so an unchanged publish does not rewrite a tarball of hundreds of megabytes. Any edit of the file invalidates it.
/// </summary>
public sealed class ArchiveRecord(string recordPath)
{
    public bool IsCurrent(string archivePath, Digest manifestDigest, IReadOnlyList<string> names)
    {
        var info = new FileInfo(archivePath);
        if (!info.Exists || !File.Exists(recordPath)) return false;
        try
        {
            return File.ReadAllText(recordPath) == Describe(info, manifestDigest, names);
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Save(string archivePath, Digest manifestDigest, IReadOnlyList<string> names)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(recordPath)!);
        File.WriteAllText(recordPath, Describe(new FileInfo(archivePath), manifestDigest, names));
    }

    private static string Describe(FileInfo archive, Digest manifestDigest, IReadOnlyList<string> names) =>
        $"{archive.FullName}\n{archive.Length}\n{archive.LastWriteTimeUtc.Ticks}\n{manifestDigest}\n{string.Join('\n', names)}\n";
}
