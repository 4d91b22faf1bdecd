using System.Buffers;
using System.Text;

namespace Csbuild.Executor;

/// <summary>
/// Streams a pipe line by line as it is written, without holding more than one line in memory.
/// A line longer than <see cref="MaxLineBytes"/> is reported in pieces, so a step that prints megabytes
/// without a newline cannot exhaust memory.
/// </summary>
internal static class OutputPump
{
    public const int MaxLineBytes = 64 * 1024;

    public static async Task PumpAsync(Stream stream, OutputStream kind, Action<OutputLine> report)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var line = new ArrayBufferWriter<byte>(256);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory()).ConfigureAwait(false)) > 0)
            {
                var chunk = buffer.AsSpan(0, read);
                int newline;
                while ((newline = chunk.IndexOf((byte)'\n')) >= 0)
                {
                    Append(line, chunk[..newline], kind, report);
                    Emit(line, kind, report);
                    chunk = chunk[(newline + 1)..];
                }
                Append(line, chunk, kind, report);
            }
            if (line.WrittenCount > 0) Emit(line, kind, report);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Append(ArrayBufferWriter<byte> line, ReadOnlySpan<byte> bytes, OutputStream kind, Action<OutputLine> report)
    {
        while (line.WrittenCount + bytes.Length > MaxLineBytes)
        {
            var room = MaxLineBytes - line.WrittenCount;
            line.Write(bytes[..room]);
            Emit(line, kind, report);
            bytes = bytes[room..];
        }
        line.Write(bytes);
    }

    private static void Emit(ArrayBufferWriter<byte> line, OutputStream kind, Action<OutputLine> report)
    {
        var text = line.WrittenSpan;
        if (text.Length > 0 && text[^1] == (byte)'\r') text = text[..^1];
        report(new OutputLine(kind, Encoding.UTF8.GetString(text), DateTimeOffset.UtcNow));
        line.ResetWrittenCount();
    }
}
