using Csbuild.Frontend.Expansion;

namespace Csbuild.Frontend.Tests.Expansion;

public class ShellLexerTests
{
    private static readonly Dictionary<string, string> Vars = new()
    {
        ["v"] = "value",
        ["empty"] = "",
        ["path"] = "/usr/local/bin/tool.tar.gz",
        ["spaced"] = "a  b",
        ["x"] = "xXxX",
    };

    private static string P(string word, char escape = '\\') => new ShellLexer(escape).ProcessWord(word, n => Vars.GetValueOrDefault(n));

    [Theory]
    [InlineData("$v", "value")]
    [InlineData("${v}", "value")]
    [InlineData("pre${v}post", "prevaluepost")]
    [InlineData("$v.txt", "value.txt")]
    [InlineData("$unset", "")]
    [InlineData("${unset}", "")]
    [InlineData("$", "$")]
    [InlineData("a$", "a$")]
    [InlineData("$1", "")]
    [InlineData("$-x", "x")]
    public void Plain_references(string word, string expected) => Assert.Equal(expected, P(word));

    [Theory]
    // ${v:-w}: w when v is unset or empty; ${v-w}: w only when unset.
    [InlineData("${v:-word}", "value")]
    [InlineData("${empty:-word}", "word")]
    [InlineData("${unset:-word}", "word")]
    [InlineData("${v-word}", "value")]
    [InlineData("${empty-word}", "")]
    [InlineData("${unset-word}", "word")]
    // ${v:+w}: w when v is set and not empty; ${v+w}: w when set.
    [InlineData("${v:+word}", "word")]
    [InlineData("${empty:+word}", "")]
    [InlineData("${unset:+word}", "")]
    [InlineData("${v+word}", "word")]
    [InlineData("${empty+word}", "word")]
    [InlineData("${unset+word}", "")]
    // ${v:?m} and ${v?m} return v when allowed.
    [InlineData("${v:?msg}", "value")]
    [InlineData("${empty?msg}", "")]
    // Nested and quoted words.
    [InlineData("${unset:-${v}}", "value")]
    [InlineData("${unset:-'a b'}", "a b")]
    [InlineData("${unset:-\"$v x\"}", "value x")]
    public void Default_and_alternative_modifiers(string word, string expected) => Assert.Equal(expected, P(word));

    [Theory]
    [InlineData("${path#*/}", "usr/local/bin/tool.tar.gz")]
    [InlineData("${path##*/}", "tool.tar.gz")]
    [InlineData("${path%.*}", "/usr/local/bin/tool.tar")]
    [InlineData("${path%%.*}", "/usr/local/bin/tool")]
    [InlineData("${path#/usr}", "/local/bin/tool.tar.gz")]
    [InlineData("${path#nomatch}", "/usr/local/bin/tool.tar.gz")]
    [InlineData("${path%%[.]*}", "/usr/local/bin/tool")]
    [InlineData("${x#?}", "XxX")]
    [InlineData("${x%\\X}", "xXx")]
    [InlineData("${unset#x}", "")]
    public void Prefix_and_suffix_removal(string word, string expected) => Assert.Equal(expected, P(word));

    [Theory]
    [InlineData("${x/x/y}", "yXxX")]
    [InlineData("${x//x/y}", "yXyX")]
    [InlineData("${path/local\\/bin/opt}", "/usr/opt/tool.tar.gz")]
    [InlineData("${path//\\//:}", ":usr:local:bin:tool.tar.gz")]
    [InlineData("${x/?X/-}", "-xX")]
    [InlineData("${x//*/z}", "z")]
    [InlineData("${x/nomatch/z}", "xXxX")]
    [InlineData("${x/X/}", "xxX")]
    public void Pattern_replacement(string word, string expected) => Assert.Equal(expected, P(word));

    [Theory]
    [InlineData("'$v'", "$v")]
    [InlineData("\"$v\"", "value")]
    [InlineData("\"'$v'\"", "'value'")]
    [InlineData("'\"x\"'", "\"x\"")]
    [InlineData("\\$v", "$v")]
    [InlineData("\"\\$v\"", "$v")]
    [InlineData("\"a\\\"b\"", "a\"b")]
    [InlineData("\"a\\nb\"", "a\\nb")]
    [InlineData("a\\ b", "a b")]
    [InlineData("'a\\b'", "a\\b")]
    [InlineData("\\\\", "\\")]
    [InlineData("abc\\", "abc")]
    [InlineData("\"\"", "")]
    public void Quotes_and_escapes(string word, string expected) => Assert.Equal(expected, P(word));

    [Fact]
    public void Backtick_escape_character()
    {
        Assert.Equal("$v", P("`$v", '`'));
        Assert.Equal("c:\\dir", P("c:\\dir", '`'));
    }

    [Theory]
    [InlineData("${v", "missing '}'")]
    [InlineData("${v:-x", "missing '}'")]
    [InlineData("${}", "bad substitution")]
    [InlineData("${:x}", "bad substitution")]
    [InlineData("${v:x}", "unsupported modifier (:x) in substitution")]
    [InlineData("${v*}", "unsupported modifier (*) in substitution")]
    [InlineData("${unset:?}", "unset: is not allowed to be unset")]
    [InlineData("${empty:?}", "empty: is not allowed to be empty")]
    [InlineData("${unset?custom message}", "unset: custom message")]
    [InlineData("'abc", "matching single-quote")]
    [InlineData("\"abc", "matching double-quote")]
    [InlineData("${v/x", "missing '/' in ${}")]
    public void Errors(string word, string message)
    {
        var e = Assert.Throws<ExpansionException>(() => P(word));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Words_split_at_unquoted_blanks_including_expanded_ones()
    {
        var lexer = new ShellLexer();
        Assert.Equal(["a", "b", "c d", "e"], lexer.ProcessWords("a $spaced 'c d' e".Replace("$spaced", "b"), n => Vars.GetValueOrDefault(n)));
        Assert.Equal(["a", "b"], lexer.ProcessWords("$spaced", n => Vars.GetValueOrDefault(n)));
        Assert.Equal(["a  b"], lexer.ProcessWords("\"$spaced\"", n => Vars.GetValueOrDefault(n)));
    }

    [Fact]
    public void Raw_modes_keep_quotes_and_escapes_and_skip_unset()
    {
        var raw = new ShellLexer { RawQuotes = true, RawEscapes = true, SkipUnsetEnv = true };
        Assert.Equal("'a' \"$unset\" \\x ${unset:-d}", raw.ProcessWord("'a' \"$unset\" \\x ${unset:-d}", _ => null));
        var heredoc = new ShellLexer { SkipProcessQuotes = true };
        Assert.Equal("\"value\" 'value'", heredoc.ProcessWord("\"$v\" '$v'", n => Vars.GetValueOrDefault(n)));
    }

    [Fact]
    public void Matches_report_set_and_unset_names_but_not_guarded_ones()
    {
        var r = new ShellLexer().Process("$v $nope ${guarded:-x} ${empty}", n => Vars.GetValueOrDefault(n));
        Assert.Equal(["empty", "v"], r.Matched.Order());
        Assert.Equal(["nope"], r.Unmatched);
    }

    [Fact]
    public void Deep_nesting_is_refused_not_overflowing()
    {
        var deep = string.Concat(Enumerable.Repeat("${a:-", 10_000)) + "x" + new string('}', 10_000);
        var e = Assert.Throws<ExpansionException>(() => P(deep));
        Assert.Contains("nested more than", e.Message);
        var ok = string.Concat(Enumerable.Repeat("${a:-", 20)) + "x" + new string('}', 20);
        Assert.Equal("x", P(ok));
    }

    [Fact]
    public void Pattern_matching_is_linear_on_hostile_input()
    {
        Vars["long"] = new string('a', 200_000);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("", P("${long##*a}"));
        Assert.Equal(new string('a', 200_000), P("${long%%*b*a*b}"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), sw.Elapsed.ToString());
    }
}
