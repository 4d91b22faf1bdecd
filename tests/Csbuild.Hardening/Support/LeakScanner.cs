using System.Formats.Tar;
using System.Text;
using Csbuild.Oci.Compression;

namespace Csbuild.Hardening.Support;

/// <summary>
/// Looks for secret byte strings in everything csbuild wrote: every file under a directory, byte for byte, and
/// also the decompressed content of gzip/zstd files and the members of tar files (recursively, so a gzip layer
/// inside an OCI archive is read as its tar and its files). Counts every byte it looked at.
/// </summary>
public sealed class LeakScanner(IEnumerable<string> secrets)
{
    private const int MaxDepth = 4;
    private readonly byte[][] _needles = [.. secrets.Distinct().Select(Encoding.UTF8.GetBytes)];
    private readonly List<string> _findings = [];

    public long BytesScanned { get; private set; }
    public int FilesScanned { get; private set; }
    public IReadOnlyList<string> Findings => _findings;

    public void ScanDirectory(string directory)
    {
        if (!Directory.Exists(directory)) return;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var file in Directory.EnumerateFiles(directory, "*", options))
            if (Csbuild.Oci.Native.Libc.TryStatNoFollow(file) is { IsRegularFile: true }) // links, sockets, fifos, devices store nothing
                ScanFile(file);
    }

    public void ScanFile(string path)
    {
        FilesScanned++;
        using var stream = File.OpenRead(path);
        Scan(path, stream, 0);
    }

    public void ScanText(string label, string text) => Scan(label, new MemoryStream(Encoding.UTF8.GetBytes(text)), MaxDepth);

    private void Scan(string label, Stream stream, int depth)
    {
        // Keep a copy while scanning when the content may need a second look (compressed, or a tar).
        using var copy = new MemoryStream();
        ScanRaw(label, stream, depth < MaxDepth ? copy : null);
        if (depth >= MaxDepth || copy.Length < 4) return;
        copy.Position = 0;
        var head = new byte[CompressionDetector.MagicLength];
        int n = copy.Read(head);
        copy.Position = 0;
        var compression = CompressionDetector.Detect(head.AsSpan(0, n));
        if (compression != LayerCompression.None)
        {
            try
            {
                using var decoded = LayerCompressionStreams.OpenDecompressor(copy, 4L << 30, out _, leaveOpen: true);
                Scan(label + "!decompressed", decoded, depth + 1);
            }
            catch (Exception e) when (e is InvalidDataException or IOException) { /* not really compressed: scanned raw */ }
            return;
        }
        if (copy.Length >= 512 && LooksLikeTar(copy)) ScanTar(label, copy, depth);
    }

    private void ScanRaw(string label, Stream stream, MemoryStream? keep)
    {
        int longest = _needles.Max(n => n.Length);
        var buffer = new byte[(1 << 20) + longest];
        int carried = 0;
        int read;
        while ((read = stream.Read(buffer, carried, buffer.Length - carried)) > 0)
        {
            keep?.Write(buffer, carried, read);
            BytesScanned += read;
            var window = buffer.AsSpan(0, carried + read);
            foreach (var needle in _needles)
                if (window.IndexOf(needle) >= 0) _findings.Add($"{label}: contains '{Encoding.UTF8.GetString(needle)}'");
            carried = Math.Min(longest - 1, window.Length);
            window[^carried..].CopyTo(buffer);
        }
    }

    private static bool LooksLikeTar(MemoryStream stream) =>
        stream.GetBuffer().AsSpan(257, 5).SequenceEqual("ustar"u8);

    private void ScanTar(string label, MemoryStream tar, int depth)
    {
        tar.Position = 0;
        try
        {
            using var reader = new TarReader(tar, leaveOpen: true);
            while (reader.GetNextEntry() is { } entry)
            {
                Scan($"{label}!{entry.Name}", new MemoryStream(Encoding.UTF8.GetBytes(entry.Name + "\n" + entry.LinkName)), MaxDepth);
                if (entry.DataStream is { } data) Scan($"{label}!{entry.Name}", data, depth + 1);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException) { /* scanned raw already */ }
    }
}
