namespace Csbuild.Frontend.Parsing;

/// <summary>Walks the physical lines of a Dockerfile without copying the whole text.</summary>
internal sealed class LineCursor(string text)
{
    private int _pos = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0; // a byte-order mark is not part of line 1

    public int LineNumber { get; private set; }

    /// <summary>The current line without its newline (trailing carriage returns removed).</summary>
    public string Line { get; private set; } = "";

    /// <summary>The current line exactly as in the file, with its newline if it had one.</summary>
    public string RawLine { get; private set; } = "";

    public bool MoveNext()
    {
        if (_pos >= text.Length) return false;
        var newline = text.IndexOf('\n', _pos);
        var fullEnd = newline < 0 ? text.Length : newline + 1;
        var contentEnd = newline < 0 ? text.Length : newline;
        while (contentEnd > _pos && text[contentEnd - 1] == '\r') contentEnd--;
        RawLine = text[_pos..fullEnd];
        Line = RawLine.Length == fullEnd - contentEnd ? "" : text[_pos..contentEnd];
        _pos = fullEnd;
        LineNumber++;
        return true;
    }
}
