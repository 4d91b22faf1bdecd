using System.Globalization;
using System.Text;

namespace Csbuild.Cli.Config;

/// <summary>A value read from a TOML file with the line it was written on (for "where did this come from").</summary>
/// <param name="Value">A <see cref="string"/>, <see cref="long"/>, <see cref="bool"/>, <see cref="IReadOnlyList{T}"/> of those, or a <see cref="TomlTable"/>.</param>
public sealed record TomlEntry(object Value, int Line);

/// <summary>A TOML table: keys in file order, each a value or a sub-table.</summary>
public sealed class TomlTable
{
    private readonly Dictionary<string, TomlEntry> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public IEnumerable<KeyValuePair<string, TomlEntry>> Entries => _order.Select(k => new KeyValuePair<string, TomlEntry>(k, _entries[k]));

    public TomlEntry? this[string key] => _entries.GetValueOrDefault(key);

    internal bool TryAdd(string key, TomlEntry entry)
    {
        if (!_entries.TryAdd(key, entry)) return false;
        _order.Add(key);
        return true;
    }
}

public sealed class TomlFormatException(string file, int line, string message) : FormatException($"{file}:{line}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
}

/// <summary>
/// The part of TOML a configuration file needs (there is no TOML package on this project's feed): comments,
/// <c>key = value</c> with bare, quoted or dotted keys, <c>[table]</c> and <c>[a."b.c"]</c> headers, basic and literal
/// strings, integers, booleans and (multi-line) arrays of those. Inline tables, floats, dates, multi-line strings and
/// arrays of tables are refused with a message naming the line, never silently misread.
/// </summary>
public static class TomlSubset
{
    public static TomlTable Parse(string text, string fileName = "config.toml") => new Parser(text, fileName).ParseDocument();

    private sealed class Parser(string text, string file)
    {
        private int _pos;
        private int _line = 1;
        private readonly HashSet<TomlTable> _explicitlyDefined = [];

        public TomlTable ParseDocument()
        {
            var root = new TomlTable();
            var current = root;
            while (true)
            {
                SkipWhitespaceCommentsAndNewlines();
                if (AtEnd) return root;
                if (Peek == '[')
                {
                    current = ParseTableHeader(root);
                }
                else
                {
                    ParseKeyValue(current);
                }
                ExpectEndOfLine();
            }
        }

        private bool AtEnd => _pos >= text.Length;
        private char Peek => text[_pos];

        private TomlTable ParseTableHeader(TomlTable root)
        {
            int line = _line;
            _pos++; // [
            if (!AtEnd && Peek == '[') throw Error("arrays of tables ([[...]]) are not supported");
            SkipSpaces();
            var path = ParseKeyPath();
            SkipSpaces();
            if (AtEnd || Peek != ']') throw Error("expected ']' to close the table header");
            _pos++;
            var table = root;
            foreach (var segment in path) table = SubTable(table, segment, line);
            if (!_explicitlyDefined.Add(table)) throw new TomlFormatException(file, line, $"table [{string.Join('.', path)}] is defined twice");
            return table;
        }

        private void ParseKeyValue(TomlTable table)
        {
            int line = _line;
            var path = ParseKeyPath();
            SkipSpaces();
            if (AtEnd || Peek != '=') throw Error($"expected '=' after key '{string.Join('.', path)}'");
            _pos++;
            SkipSpaces();
            var value = ParseValue();
            for (int i = 0; i < path.Count - 1; i++) table = SubTable(table, path[i], line);
            if (!table.TryAdd(path[^1], new TomlEntry(value, line)))
                throw new TomlFormatException(file, line, $"key '{string.Join('.', path)}' is defined twice");
        }

        private TomlTable SubTable(TomlTable parent, string key, int line)
        {
            if (parent[key] is { } existing)
                return existing.Value as TomlTable ?? throw new TomlFormatException(file, line, $"'{key}' is a value (line {existing.Line}), not a table");
            var table = new TomlTable();
            parent.TryAdd(key, new TomlEntry(table, line));
            return table;
        }

        private List<string> ParseKeyPath()
        {
            var path = new List<string> { ParseKey() };
            while (true)
            {
                SkipSpaces();
                if (AtEnd || Peek != '.') return path;
                _pos++;
                SkipSpaces();
                path.Add(ParseKey());
            }
        }

        private string ParseKey()
        {
            if (AtEnd) throw Error("expected a key");
            if (Peek == '"') return ParseBasicString();
            if (Peek == '\'') return ParseLiteralString();
            int start = _pos;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(Peek) || Peek is '_' or '-')) _pos++;
            if (_pos == start) throw Error($"unexpected character '{Peek}' where a key was expected");
            return text[start.._pos];
        }

        private object ParseValue()
        {
            if (AtEnd) throw Error("expected a value");
            switch (Peek)
            {
                case '"':
                    if (text.AsSpan(_pos).StartsWith("\"\"\"")) throw Error("multi-line strings are not supported");
                    return ParseBasicString();
                case '\'':
                    if (text.AsSpan(_pos).StartsWith("'''")) throw Error("multi-line strings are not supported");
                    return ParseLiteralString();
                case '[':
                    return ParseArray();
                case '{':
                    throw Error("inline tables are not supported; use a [section] instead");
            }
            int start = _pos;
            while (!AtEnd && !char.IsWhiteSpace(Peek) && Peek is not (',' or ']' or '#')) _pos++;
            var word = text[start.._pos];
            if (word == "true") return true;
            if (word == "false") return false;
            var digits = word.Replace("_", "");
            if (digits.Length > 0 && !word.StartsWith('_') && !word.EndsWith('_') && !word.Contains("__")
                && long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                && (digits.TrimStart('+', '-') is var magnitude && (magnitude == "0" || !magnitude.StartsWith('0'))))
                return number;
            if (word.Length == 0) throw Error("expected a value");
            throw Error($"unsupported value '{word}': expected a \"string\", an integer, true/false or an [array]");
        }

        private List<object> ParseArray()
        {
            _pos++; // [
            var items = new List<object>();
            while (true)
            {
                SkipWhitespaceCommentsAndNewlines();
                if (AtEnd) throw Error("unterminated array");
                if (Peek == ']') { _pos++; return items; }
                var item = ParseValue();
                if (item is TomlTable or List<object>) throw Error("nested arrays are not supported");
                if (items.Count > 0 && items[0].GetType() != item.GetType()) throw Error("array items must all have the same type");
                items.Add(item);
                SkipWhitespaceCommentsAndNewlines();
                if (AtEnd) throw Error("unterminated array");
                if (Peek == ',') { _pos++; continue; }
                if (Peek != ']') throw Error($"expected ',' or ']' in array, found '{Peek}'");
            }
        }

        private string ParseBasicString()
        {
            _pos++; // "
            var sb = new StringBuilder();
            while (true)
            {
                if (AtEnd || Peek == '\n') throw Error("unterminated string");
                char c = text[_pos++];
                if (c == '"') return sb.ToString();
                if (c != '\\') { sb.Append(c); continue; }
                if (AtEnd) throw Error("unterminated string");
                char e = text[_pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u': sb.Append(ParseUnicode(4)); break;
                    case 'U': sb.Append(ParseUnicode(8)); break;
                    default: throw Error($"invalid escape '\\{e}' in string");
                }
            }
        }

        private string ParseUnicode(int length)
        {
            if (_pos + length > text.Length
                || !int.TryParse(text.AsSpan(_pos, length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
                || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
                throw Error("invalid unicode escape in string");
            _pos += length;
            return char.ConvertFromUtf32(code);
        }

        private string ParseLiteralString()
        {
            _pos++; // '
            int start = _pos;
            while (!AtEnd && Peek != '\'' && Peek != '\n') _pos++;
            if (AtEnd || Peek != '\'') throw Error("unterminated string");
            return text[start.._pos++];
        }

        private void SkipSpaces()
        {
            while (!AtEnd && Peek is ' ' or '\t') _pos++;
        }

        private void SkipComment()
        {
            if (!AtEnd && Peek == '#')
                while (!AtEnd && Peek != '\n') _pos++;
        }

        private void SkipWhitespaceCommentsAndNewlines()
        {
            while (true)
            {
                SkipSpaces();
                SkipComment();
                if (AtEnd) return;
                if (Peek == '\r' && _pos + 1 < text.Length && text[_pos + 1] == '\n') _pos++;
                if (Peek != '\n') return;
                _pos++;
                _line++;
            }
        }

        private void ExpectEndOfLine()
        {
            SkipSpaces();
            SkipComment();
            if (AtEnd) return;
            if (Peek == '\r' && _pos + 1 < text.Length && text[_pos + 1] == '\n') _pos++;
            if (Peek != '\n') throw Error($"unexpected '{Peek}' after the value (one key = value per line)");
        }

        private TomlFormatException Error(string message) => new(file, _line, message);
    }
}
