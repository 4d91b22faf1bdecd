using System.Text;

namespace Csbuild.Frontend.Expansion;

/// <summary>Looks a variable up: null when it is unset.</summary>
public delegate string? VariableLookup(string name);

/// <summary>
/// Shell-word processing as BuildKit's <c>shell.Lex</c> does it for Dockerfile instructions: quotes (single,
/// double), the escape character, and parameter expansion (<c>$v</c>, <c>${v}</c>, <c>${v:-w}</c>, <c>${v-w}</c>,
/// <c>${v:+w}</c>, <c>${v+w}</c>, <c>${v:?m}</c>, <c>${v?m}</c>, <c>${v#p}</c>, <c>${v##p}</c>, <c>${v%p}</c>,
/// <c>${v%%p}</c>, <c>${v/p/r}</c>, <c>${v//p/r}</c>). No command substitution, no arithmetic: like BuildKit.
/// </summary>
public sealed class ShellLexer(char escapeChar = '\\')
{
    /// <summary>Deepest <c>${a:-${b:-…}}</c> nesting accepted; deeper input is refused rather than overflowing the stack.</summary>
    public const int MaxNesting = 64;

    public char EscapeChar { get; } = escapeChar;

    /// <summary>Keep quote characters in the output (they still group words and stop expansion).</summary>
    public bool RawQuotes { get; init; }

    /// <summary>Keep escape characters in the output.</summary>
    public bool RawEscapes { get; init; }

    /// <summary>Leave references to unset variables as written instead of expanding them to nothing.</summary>
    public bool SkipUnsetEnv { get; init; }

    /// <summary>Treat quotes as ordinary characters (heredoc bodies).</summary>
    public bool SkipProcessQuotes { get; init; }

    /// <summary>Processes one word: quotes removed, escapes applied, variables expanded.</summary>
    public string ProcessWord(string word, VariableLookup env) => Process(word, env).Word;

    /// <summary>Processes text and splits it into words at unquoted blanks (including blanks produced by expansion).</summary>
    public IReadOnlyList<string> ProcessWords(string text, VariableLookup env) => Process(text, env).Words;

    /// <summary>Processes one word and reports which variable names were found set and which were used unset (not counting <c>${v:-w}</c>-style uses).</summary>
    public ExpansionResult Process(string text, VariableLookup env)
    {
        var run = new Run(this, text, env);
        try
        {
            var (word, words) = run.ProcessStopOn(-1, RawEscapes);
            return new ExpansionResult(word, words, run.Matched, run.Unmatched);
        }
        catch (ExpansionException e)
        {
            var shown = text.Length <= 200 ? text : text[..200] + "…";
            throw new ExpansionException($"failed to process \"{shown}\": {e.Message}");
        }
    }

    private sealed class Run(ShellLexer lexer, string source, VariableLookup env)
    {
        private const int Eof = -1;
        private int _pos;
        private int _depth;
        private bool _rawEscapes = lexer.RawEscapes;

        public HashSet<string> Matched { get; } = [];
        public HashSet<string> Unmatched { get; } = [];

        private int Peek() => _pos < source.Length ? source[_pos] : Eof;
        private int Next() => _pos < source.Length ? source[_pos++] : Eof;

        public (string Word, List<string> Words) ProcessStopOn(int stopChar, bool rawEscapes)
        {
            if (++_depth > MaxNesting)
                throw new ExpansionException($"variable substitutions nested more than {MaxNesting} deep");
            var savedRaw = _rawEscapes;
            _rawEscapes = rawEscapes;
            try
            {
                var result = new StringBuilder();
                var words = new WordCollector();
                while (Peek() != Eof)
                {
                    var ch = Peek();
                    if (stopChar != Eof && ch == stopChar)
                    {
                        Next();
                        return (result.ToString(), words.Finish());
                    }
                    if (ch == '$')
                    {
                        var value = ProcessDollar();
                        result.Append(value);
                        words.AddString(value);
                    }
                    else if (!lexer.SkipProcessQuotes && (ch == '\'' || ch == '"'))
                    {
                        var value = ch == '\'' ? ProcessSingleQuote() : ProcessDoubleQuote();
                        result.Append(value);
                        words.AddRawString(value);
                    }
                    else
                    {
                        ch = Next();
                        if (ch == lexer.EscapeChar)
                        {
                            if (_rawEscapes)
                            {
                                words.AddRawChar((char)ch);
                                result.Append((char)ch);
                            }
                            ch = Next();
                            if (ch == Eof) break; // an escape at the very end is dropped
                            words.AddRawChar((char)ch);
                        }
                        else
                        {
                            words.AddChar((char)ch);
                        }
                        result.Append((char)ch);
                    }
                }
                if (stopChar != Eof)
                    throw new ExpansionException($"unexpected end of statement while looking for matching {(char)stopChar}");
                return (result.ToString(), words.Finish());
            }
            finally
            {
                _rawEscapes = savedRaw;
                _depth--;
            }
        }

        private string ProcessSingleQuote()
        {
            // Everything up to the next ' is literal, escape characters included.
            var result = new StringBuilder();
            Next();
            if (lexer.RawQuotes) result.Append('\'');
            while (true)
            {
                var ch = Next();
                if (ch == Eof) throw new ExpansionException("unexpected end of statement while looking for matching single-quote");
                if (ch == '\'')
                {
                    if (lexer.RawQuotes) result.Append('\'');
                    return result.ToString();
                }
                result.Append((char)ch);
            }
        }

        private string ProcessDoubleQuote()
        {
            // Literal up to the next ", except $ expansions; the escape character only escapes ", $ and itself.
            var result = new StringBuilder();
            Next();
            if (lexer.RawQuotes) result.Append('"');
            while (true)
            {
                var ch = Peek();
                if (ch == Eof) throw new ExpansionException("unexpected end of statement while looking for matching double-quote");
                if (ch == '"')
                {
                    Next();
                    if (lexer.RawQuotes) result.Append('"');
                    return result.ToString();
                }
                if (ch == '$')
                {
                    result.Append(ProcessDollar());
                    continue;
                }
                ch = Next();
                if (ch == lexer.EscapeChar)
                {
                    var following = Peek();
                    if (following == Eof) continue;
                    if (following == '"' || following == '$' || following == lexer.EscapeChar)
                    {
                        if (_rawEscapes) result.Append((char)ch);
                        ch = Next();
                    }
                }
                result.Append((char)ch);
            }
        }

        private string ProcessDollar()
        {
            Next(); // '$'
            if (Peek() != '{')
            {
                var plain = ProcessName();
                if (plain.Length == 0) return "$";
                var v = Lookup(plain);
                if (v is null && lexer.SkipUnsetEnv) return "$" + plain;
                return v ?? "";
            }

            Next(); // '{'
            switch (Peek())
            {
                case Eof: throw new ExpansionException("syntax error: missing '}'");
                case '{' or '}' or ':': throw new ExpansionException("syntax error: bad substitution");
            }
            var name = ProcessName();
            var op = Next();
            switch (op)
            {
                case Eof:
                    throw new ExpansionException("syntax error: missing '}'");
                case '}':
                {
                    var v = Lookup(name);
                    if (v is null && lexer.SkipUnsetEnv) return "${" + name + "}";
                    return v ?? "";
                }
                case ':' or '+' or '-' or '?' or '#' or '%':
                    return ProcessModifier(name, op);
                case '/':
                    return ProcessReplace(name);
                default:
                    throw new ExpansionException($"unsupported modifier ({(char)op}) in substitution");
            }
        }

        private string ProcessModifier(string name, int op)
        {
            var nullIsUnset = false;
            var written = ((char)op).ToString();
            if (op == ':')
            {
                nullIsUnset = true;
                op = Next();
                if (op is not ('+' or '-' or '?'))
                    throw new ExpansionException($"unsupported modifier (:{(op == Eof ? "" : ((char)op).ToString())}) in substitution");
                written += (char)op;
            }
            var patternOp = op is '#' or '%';
            string word;
            try
            {
                word = ProcessStopOn('}', patternOp).Word;
            }
            catch (ExpansionException) when (Peek() == Eof)
            {
                throw new ExpansionException("syntax error: missing '}'");
            }

            // ${v-w}, ${v+w} and ${v?m} handle an unset v themselves, so they don't count as undefined uses.
            var value = Lookup(name, guarded: op is '-' or '+' or '?');
            if (value is null && lexer.SkipUnsetEnv) return "${" + name + written + word + "}";
            var unsetOrNull = value is null || (nullIsUnset && value.Length == 0);
            switch (op)
            {
                case '-':
                    return unsetOrNull ? word : value!;
                case '+':
                    return unsetOrNull ? "" : word;
                case '?':
                    if (value is null)
                        throw new ExpansionException($"{name}: {(word.Length > 0 ? word : "is not allowed to be unset")}");
                    if (nullIsUnset && value.Length == 0)
                        throw new ExpansionException($"{name}: {(word.Length > 0 ? word : "is not allowed to be empty")}");
                    return value;
                default: // '#' or '%': one character for the shortest match, doubled for the longest
                    var greedy = word.Length > 0 && word[0] == op;
                    if (greedy) word = word[1..];
                    return op == '#'
                        ? ShellPattern.TrimPrefix(value ?? "", word, greedy)
                        : ShellPattern.TrimSuffix(value ?? "", word, greedy);
            }
        }

        private string ProcessReplace(string name)
        {
            var all = Peek() == '/';
            if (all) Next();
            string pattern, replacement;
            try
            {
                pattern = ProcessStopOn('/', true).Word;
            }
            catch (ExpansionException) when (Peek() == Eof)
            {
                throw new ExpansionException("syntax error: missing '/' in ${}");
            }
            try
            {
                replacement = ProcessStopOn('}', true).Word;
            }
            catch (ExpansionException) when (Peek() == Eof)
            {
                throw new ExpansionException("syntax error: missing '}'");
            }
            var value = Lookup(name);
            if (value is null && lexer.SkipUnsetEnv) return "${" + name + "/" + pattern + "/" + replacement + "}";
            return ShellPattern.Replace(value ?? "", pattern, replacement, all);
        }

        private string ProcessName()
        {
            var start = _pos;
            if (Peek() != Eof && char.IsDigit((char)Peek()))
            {
                while (Peek() != Eof && char.IsDigit((char)Peek())) Next();
                return source[start.._pos];
            }
            if (Peek() is '@' or '*' or '#' or '?' or '-' or '$' or '!')
            {
                Next();
                return source[start.._pos];
            }
            while (Peek() != Eof && (char.IsLetterOrDigit((char)Peek()) || Peek() == '_')) Next();
            return source[start.._pos];
        }

        private string? Lookup(string name, bool guarded = false)
        {
            var v = env(name);
            if (v is not null) Matched.Add(name);
            else if (!guarded) Unmatched.Add(name);
            return v;
        }
    }

    /// <summary>Splits the processed text into words the way the shell would: at unquoted blanks.</summary>
    private sealed class WordCollector
    {
        private readonly List<string> _words = [];
        private readonly StringBuilder _word = new();
        private bool _inWord;

        public void AddChar(char ch)
        {
            if (char.IsWhiteSpace(ch))
            {
                if (_inWord && _word.Length != 0)
                {
                    _words.Add(_word.ToString());
                    _word.Clear();
                    _inWord = false;
                }
            }
            else
            {
                AddRawChar(ch);
            }
        }

        public void AddRawChar(char ch)
        {
            _word.Append(ch);
            _inWord = true;
        }

        public void AddString(string s)
        {
            foreach (var ch in s) AddChar(ch);
        }

        public void AddRawString(string s)
        {
            _word.Append(s);
            _inWord = true;
        }

        public List<string> Finish()
        {
            if (_word.Length > 0)
            {
                _words.Add(_word.ToString());
                _word.Clear();
                _inWord = false;
            }
            return _words;
        }
    }
}

/// <summary>The outcome of processing a word: the text, its shell words, and the variable names it referenced.</summary>
public sealed record ExpansionResult(string Word, IReadOnlyList<string> Words, IReadOnlySet<string> Matched, IReadOnlySet<string> Unmatched);

/// <summary>A malformed substitution or quote; the frontend turns it into a located DockerfileParseException.</summary>
public sealed class ExpansionException(string message) : Exception(message);
