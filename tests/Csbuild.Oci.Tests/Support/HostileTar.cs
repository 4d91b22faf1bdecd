using System.Formats.Tar;
using System.Text;

namespace Csbuild.Oci.Tests.Support;

/// <summary>Builds arbitrary (also malicious) tars with System.Formats.Tar, independently of our writer.</summary>
public static class HostileTar
{
    public static byte[] Build(Action<TarWriter> write)
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true)) write(writer);
        return output.ToArray();
    }

    public static void File(TarWriter writer, string name, string content, int mode = 0x1A4)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            Mode = (UnixFileMode)mode,
            ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1_650_000_000),
        };
        writer.WriteEntry(entry);
    }

    public static void Directory(TarWriter writer, string name, int mode = 0x1ED) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)mode });

    public static void Symlink(TarWriter writer, string name, string target) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });

    public static void HardLink(TarWriter writer, string name, string target) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });

    public static void Device(TarWriter writer, string name, int major, int minor) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, name) { DeviceMajor = major, DeviceMinor = minor, Mode = (UnixFileMode)0x1B6 });
}
