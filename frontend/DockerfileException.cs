namespace Csbuild.Frontend;

/// <summary>
/// An error in a Dockerfile, located at FILE:LINE:COL. <see cref="Exception.Message"/> is one line:
/// <c>FILE:LINE:COL: detail (hint)</c>, ready to print.
/// </summary>
public class DockerfileException : Exception
{
    public DockerfileException(string fileName, int line, int column, string detail, string? hint = null, string? offendingText = null, Exception? inner = null)
        : base(Format(fileName, line, column, detail, hint), inner)
    {
        FileName = fileName;
        Line = line;
        Column = column;
        Detail = detail;
        Hint = hint;
        OffendingText = offendingText;
    }

    public string FileName { get; }

    /// <summary>1-based line; 0 when the error is not tied to a line (e.g. an empty file).</summary>
    public int Line { get; }

    /// <summary>1-based column.</summary>
    public int Column { get; }

    /// <summary>The message without location and hint.</summary>
    public string Detail { get; }

    public string? Hint { get; }

    /// <summary>The text the error is about (an instruction, a word), when there is one.</summary>
    public string? OffendingText { get; }

    private static string Format(string fileName, int line, int column, string detail, string? hint)
    {
        var text = $"{fileName}:{line}:{column}: {OneLine(detail)}";
        return hint is null ? text : $"{text} (hint: {OneLine(hint)})";
    }

    private static string OneLine(string s) => s.Replace("\r", "\\r").Replace("\n", "\\n");
}

/// <summary>The Dockerfile is not valid: syntax, instruction arguments, flags or variable expansion.</summary>
public sealed class DockerfileParseException(string fileName, int line, int column, string detail, string? hint = null, string? offendingText = null, Exception? inner = null)
    : DockerfileException(fileName, line, column, detail, hint, offendingText, inner);
