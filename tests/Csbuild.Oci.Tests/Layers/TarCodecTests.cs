using System.Formats.Tar;
using System.Text;
using Csbuild.Oci.Layers.Tar;
using Csbuild.Oci.Tests.Support;

namespace Csbuild.Oci.Tests.Layers;

/// <summary>Our tar reader and writer, checked against System.Formats.Tar and GNU tar in both directions.</summary>
public class TarCodecTests
{
    private static List<(LayerTarEntry Entry, byte[] Data)> ReadAll(byte[] tar)
    {
        using var reader = new TarArchiveReader(new MemoryStream(tar));
        var result = new List<(LayerTarEntry, byte[])>();
        while (reader.ReadNext() is { } entry)
        {
            var data = new MemoryStream();
            var buffer = new byte[333];
            int n;
            while ((n = reader.ReadData(buffer)) > 0) data.Write(buffer, 0, n);
            result.Add((entry, data.ToArray()));
        }
        reader.DrainToEnd();
        return result;
    }

    private static byte[] WriteWithOurWriter(params (LayerTarEntry Entry, byte[] Data)[] entries)
    {
        var output = new MemoryStream();
        using (var writer = new TarArchiveWriter(output))
        {
            foreach (var (entry, data) in entries)
            {
                writer.WriteHeader(entry);
                writer.WriteData(data);
            }
            writer.Finish();
        }
        return output.ToArray();
    }

    [Theory]
    [InlineData(TarEntryFormat.Pax)]
    [InlineData(TarEntryFormat.Gnu)]
    [InlineData(TarEntryFormat.Ustar)]
    [InlineData(TarEntryFormat.V7)]
    public void Reader_ReadsSystemFormatsTarOutput(TarEntryFormat format)
    {
        bool longNames = format is TarEntryFormat.Pax or TarEntryFormat.Gnu;
        string longName = "dir/" + new string('n', longNames ? 180 : 60) + "/file.txt";
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, format, leaveOpen: true))
        {
            TarEntry Make(TarEntryType type, string name)
            {
                if (type == TarEntryType.RegularFile && format == TarEntryFormat.V7) type = TarEntryType.V7RegularFile;
                TarEntry entry = format switch
                {
                    TarEntryFormat.Pax => new PaxTarEntry(type, name),
                    TarEntryFormat.Gnu => new GnuTarEntry(type, name),
                    TarEntryFormat.Ustar => new UstarTarEntry(type, name),
                    _ => new V7TarEntry(type, name),
                };
                entry.ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1_234_567_890);
                entry.Uid = 1000;
                entry.Gid = 2000;
                return entry;
            }
            var dir = Make(TarEntryType.Directory, "dir/");
            dir.Mode = (UnixFileMode)0x1ED;
            writer.WriteEntry(dir);
            var file = Make(TarEntryType.RegularFile, longName);
            file.Mode = (UnixFileMode)0x9ED;
            file.DataStream = new MemoryStream(Encoding.ASCII.GetBytes("hello world"));
            writer.WriteEntry(file);
            var symlink = Make(TarEntryType.SymbolicLink, "dir/link");
            symlink.LinkName = "../" + longName;
            if (!longNames) symlink.LinkName = "target";
            writer.WriteEntry(symlink);
            var hardlink = Make(TarEntryType.HardLink, "dir/hard");
            hardlink.LinkName = longName;
            writer.WriteEntry(hardlink);
            if (format != TarEntryFormat.V7)
            {
                var device = Make(TarEntryType.CharacterDevice, "dev/null");
                ((PosixTarEntry)device).DeviceMajor = 1;
                ((PosixTarEntry)device).DeviceMinor = 3;
                writer.WriteEntry(device);
            }
        }

        var entries = ReadAll(output.ToArray());
        Assert.Equal(TarEntryType.Directory, entries[0].Entry.Type);
        Assert.Equal("dir/", entries[0].Entry.Name);
        Assert.Equal(0x1ED, entries[0].Entry.Mode);
        var (fileEntry, fileData) = entries[1];
        Assert.Equal(TarEntryType.RegularFile, fileEntry.Type);
        Assert.Equal(longName, fileEntry.Name);
        Assert.Equal(0x9ED, fileEntry.Mode);
        Assert.Equal((1000, 2000), (fileEntry.Uid, fileEntry.Gid));
        Assert.Equal(1_234_567_890, fileEntry.ModificationTimeSeconds);
        Assert.Equal("hello world", Encoding.ASCII.GetString(fileData));
        Assert.Equal(TarEntryType.SymbolicLink, entries[2].Entry.Type);
        Assert.Equal(longNames ? "../" + longName : "target", entries[2].Entry.LinkName);
        Assert.Equal(TarEntryType.HardLink, entries[3].Entry.Type);
        Assert.Equal(longName, entries[3].Entry.LinkName);
        if (format != TarEntryFormat.V7)
            Assert.Equal((TarEntryType.CharacterDevice, 1, 3), (entries[4].Entry.Type, entries[4].Entry.DeviceMajor, entries[4].Entry.DeviceMinor));
    }

    [Fact]
    public void Reader_ReadsGnuTarOutput_IncludingBinaryXattrs()
    {
        RootRequirement.Ensure();
        using var dir = new TempDirectory();
        string source = dir.Sub("src");
        string file = SampleTrees.File(Path.Join(source, "pinger"), "ping", 0x1ED, 0, 0, 1_600_000_000);
        Csbuild.Oci.Native.Libc.SetXattr(file, "security.capability", SampleTrees.CapabilityValue);
        Directory.CreateDirectory(Path.Join(source, new string('x', 130), new string('y', 130)));
        string tarPath = dir.Combine("gnu.tar");
        ExternalTool.Run("tar", "--xattrs", "--xattrs-include=*", "--format=posix", "-C", source, "-cf", tarPath, ".");

        var entries = ReadAll(File.ReadAllBytes(tarPath));
        var pinger = entries.Single(e => e.Entry.Name == "./pinger").Entry;
        var capability = Assert.Single(pinger.Xattrs, x => Encoding.ASCII.GetString(x.Name) == "security.capability");
        Assert.Equal(SampleTrees.CapabilityValue, capability.Value);
        Assert.Contains(entries, e => e.Entry.Name == $"./{new string('x', 130)}/{new string('y', 130)}/");
    }

    [Fact]
    public void Writer_OutputIsReadBySystemFormatsTarAndGnuTar()
    {
        string longName = "a/" + new string('b', 120) + "/" + new string('c', 90);
        string veryLongName = string.Join('/', Enumerable.Repeat(new string('z', 100), 4));
        string unicodeName = "dir/ünïcode-файл";
        var tar = WriteWithOurWriter(
            (Entry(TarEntryType.Directory, "a/", mode: 0x1ED), []),
            (Entry(TarEntryType.RegularFile, longName, mode: 0x1A4, uid: 3_000_000, size: 5), "hello"u8.ToArray()),
            (Entry(TarEntryType.RegularFile, veryLongName, size: 0), []),
            (Entry(TarEntryType.RegularFile, unicodeName, size: 1), "u"u8.ToArray()),
            (Entry(TarEntryType.SymbolicLink, "a/link", link: new string('t', 150)), []),
            (Entry(TarEntryType.HardLink, "a/hard", link: longName), []),
            (Entry(TarEntryType.CharacterDevice, "dev/tty", major: 5, minor: 0), []),
            (Entry(TarEntryType.Fifo, "a/fifo", mode: 0x180), []));

        using var reader = new TarReader(new MemoryStream(tar));
        var bcl = new List<TarEntry>();
        while (reader.GetNextEntry(copyData: true) is { } e) bcl.Add(e);
        Assert.Equal(["a/", longName, veryLongName, unicodeName, "a/link", "a/hard", "dev/tty", "a/fifo"], bcl.Select(e => e.Name));
        Assert.Equal(3_000_000, bcl[1].Uid);
        Assert.Equal("hello", new StreamReader(bcl[1].DataStream!).ReadToEnd());
        Assert.Equal(new string('t', 150), bcl[4].LinkName);
        Assert.Equal(longName, bcl[5].LinkName);
        Assert.Equal(5, ((PosixTarEntry)bcl[6]).DeviceMajor);
        Assert.All(bcl, e => Assert.Equal("", ((PosixTarEntry)e).UserName));

        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.Combine("ours.tar"), tar);
        var listing = ExternalTool.Run("tar", "--numeric-owner", "-tvf", dir.Combine("ours.tar")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, listing.Length);
        Assert.StartsWith("drwxr-xr-x 0/0", listing[0]);
        Assert.Contains($"-rw-r--r-- 3000000/0", listing[1]);
        Assert.EndsWith(longName, listing[1]);
        Assert.EndsWith($"a/link -> {new string('t', 150)}", listing[4]);
        Assert.EndsWith($"a/hard link to {longName}", listing[5]);
        Assert.StartsWith("crw-r--r-- 0/0", listing[6]);
        Assert.StartsWith("prw-------", listing[7]);
    }

    [Fact]
    public void Writer_AndReader_RoundTripEveryField_IncludingBinaryXattrsAndPaxNumbers()
    {
        var original = Entry(TarEntryType.RegularFile, "bin/ping", mode: 0xDED, uid: 5_000_000, size: 3, mtime: 99_999_999_999) with
        {
            Xattrs =
            [
                new TarXattr("security.capability"u8.ToArray(), [0x01, 0x00, 0x00, 0x02, 0xC0, 0xFF, 0x00, 0x80]),
                new TarXattr("user.empty"u8.ToArray(), []),
            ],
        };
        var (entry, data) = Assert.Single(ReadAll(WriteWithOurWriter((original, "abc"u8.ToArray()))));
        Assert.Equal(original.Name, entry.Name);
        Assert.Equal(0xDED, entry.Mode);
        Assert.Equal(5_000_000, entry.Uid);
        Assert.Equal(99_999_999_999, entry.ModificationTimeSeconds);
        Assert.Equal("abc"u8.ToArray(), data);
        Assert.Equal(original.Xattrs.Select(x => (Convert.ToHexString(x.Name), Convert.ToHexString(x.Value))),
            entry.Xattrs.Select(x => (Convert.ToHexString(x.Name), Convert.ToHexString(x.Value))).OrderBy(x => x.Item1));
    }

    [Fact]
    public void Writer_UsesPlainUstarHeaders_WhenNothingNeedsPax_AndIsDeterministic()
    {
        var entry = Entry(TarEntryType.RegularFile, "etc/hosts", mode: 0x1A4, size: 2);
        var first = WriteWithOurWriter((entry, "ok"u8.ToArray()));
        var second = WriteWithOurWriter((entry, "ok"u8.ToArray()));
        Assert.Equal(first, second);
        Assert.Equal(512 + 512 + 1024, first.Length); // header, one data block, end marker
        Assert.Equal((byte)'0', first[156]);
        Assert.Equal("ustar\000"u8.ToArray(), first[257..265]);
    }

    [Fact]
    public void Reader_RefusesCorruptAndTruncatedArchives()
    {
        var valid = WriteWithOurWriter((Entry(TarEntryType.RegularFile, "f", size: 1000), new byte[1000]));

        var badChecksum = valid.ToArray();
        badChecksum[0] = (byte)'g';
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => ReadAll(badChecksum)).Message);

        Assert.Contains("inside a header", Assert.Throws<InvalidDataException>(() => ReadAll(valid[..300])).Message);
        Assert.Contains("data of 'f' is cut short", Assert.Throws<InvalidDataException>(() => ReadAll(valid[..900])).Message);
        Assert.Contains("without an end-of-archive marker", Assert.Throws<InvalidDataException>(() => ReadAll(valid[..1536])).Message);
        Assert.Contains("without an end-of-archive marker", Assert.Throws<InvalidDataException>(() => ReadAll([])).Message);
        ReadAll(valid[..2048]); // a single zero block at the very end is accepted, as GNU tar does

        var loneZeroBlock = valid[..2048].Concat(valid[..512]).Concat(new byte[1024]).ToArray();
        Assert.Contains("lone zero block", Assert.Throws<InvalidDataException>(() => ReadAll(loneZeroBlock)).Message);
    }

    [Fact]
    public void Reader_RefusesSparseAndUnknownEntryTypes_AndHugeExtensionHeaders()
    {
        var sparse = WriteWithOurWriter((Entry(TarEntryType.RegularFile, "f", size: 0), []));
        sparse[156] = (byte)'S';
        FixChecksum(sparse);
        Assert.Contains("sparse", Assert.Throws<InvalidDataException>(() => ReadAll(sparse)).Message);

        var unknown = sparse.ToArray();
        unknown[156] = (byte)'Z';
        FixChecksum(unknown);
        Assert.Contains("unsupported type 'Z'", Assert.Throws<InvalidDataException>(() => ReadAll(unknown)).Message);

        var hugePax = sparse.ToArray();
        hugePax[156] = (byte)'x';
        Encoding.ASCII.GetBytes("77777777777\0").CopyTo(hugePax, 124);
        FixChecksum(hugePax);
        Assert.Contains("exceed", Assert.Throws<InvalidDataException>(() => ReadAll(hugePax)).Message);
    }

    [Fact]
    public void Reader_BoundsChainedExtensionHeaders()
    {
        var entry = WriteWithOurWriter((Entry(TarEntryType.RegularFile, "f", size: 0), []));
        byte[] PaxHeader(int payloadLength)
        {
            // one "comment" record filling the payload exactly
            string prefix = $"{payloadLength} comment=";
            var payload = new byte[payloadLength];
            Encoding.ASCII.GetBytes(prefix).CopyTo(payload, 0);
            payload.AsSpan(prefix.Length, payloadLength - prefix.Length - 1).Fill((byte)'c');
            payload[^1] = (byte)'\n';
            var header = new byte[512];
            Encoding.ASCII.GetBytes("PaxHeaders.0/f").CopyTo(header, 0);
            header[156] = (byte)'x';
            TarFields.WriteOctal(header.AsSpan(100, 8), 0x1A4);
            TarFields.WriteOctal(header.AsSpan(124, 12), payloadLength);
            "ustar\000"u8.CopyTo(header.AsSpan(257));
            FixChecksum(header);
            return [.. header, .. payload, .. new byte[TarFields.PaddingFor(payloadLength)]];
        }
        Assert.Single(ReadAll([.. PaxHeader(600_000), .. entry]));
        var error = Assert.Throws<InvalidDataException>(() => ReadAll([.. PaxHeader(600_000), .. PaxHeader(600_000), .. entry]));
        Assert.Contains("extension headers", error.Message);
    }

    [Fact]
    public void Reader_RefusesGnuSparsePaxRecords()
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, leaveOpen: true))
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "f", new Dictionary<string, string> { ["GNU.sparse.major"] = "1" }));
        Assert.Contains("sparse", Assert.Throws<InvalidDataException>(() => ReadAll(output.ToArray())).Message);
    }

    private static void FixChecksum(byte[] tar)
    {
        int sum = TarFields.UnsignedChecksum(tar);
        TarFields.WriteOctal(tar.AsSpan(148, 7), sum);
        tar[155] = (byte)' ';
    }

    private static LayerTarEntry Entry(TarEntryType type, string name, int mode = 0x1A4, int uid = 0, long size = 0,
        string link = "", int major = 0, int minor = 0, long mtime = 1_700_000_000) => new()
    {
        Type = type,
        Name = name,
        Mode = mode,
        Uid = uid,
        Size = size,
        LinkName = link,
        DeviceMajor = major,
        DeviceMinor = minor,
        ModificationTimeSeconds = mtime,
    };
}
