using Csbuild.Cli.Config;

namespace Csbuild.Cli.Tests;

public sealed class ConfigTomlTests
{
    [Fact]
    public void Parses_KeysTablesQuotedHeadersArraysAndComments()
    {
        var doc = TomlSubset.Parse("""
            # a comment
            root = "/srv/csbuild"   # trailing comment
            jobs = 1_024
            negative = -5
            enabled = true
            literal = 'C:\no\escapes'
            escaped = "tab\there \"q\" \u00e9"

            [gc]
            keep_storage = "20GB"

            [registry."docker.io"]
            mirrors = [
              "mirror.gcr.io",   # first
              "mirror.example.com",
            ]
            [registry.'localhost:5000']
            insecure = false
            dotted.key = "x"
            """, "test.toml");

        Assert.Equal("/srv/csbuild", doc["root"]!.Value);
        Assert.Equal(2, doc["root"]!.Line);
        Assert.Equal(1024L, doc["jobs"]!.Value);
        Assert.Equal(-5L, doc["negative"]!.Value);
        Assert.Equal(true, doc["enabled"]!.Value);
        Assert.Equal(@"C:\no\escapes", doc["literal"]!.Value);
        Assert.Equal("tab\there \"q\" é", doc["escaped"]!.Value);
        var gc = Assert.IsType<TomlTable>(doc["gc"]!.Value);
        Assert.Equal("20GB", gc["keep_storage"]!.Value);
        var registries = Assert.IsType<TomlTable>(doc["registry"]!.Value);
        var hub = Assert.IsType<TomlTable>(registries["docker.io"]!.Value);
        Assert.Equal(new object[] { "mirror.gcr.io", "mirror.example.com" }, Assert.IsType<List<object>>(hub["mirrors"]!.Value));
        Assert.Equal(13, hub["mirrors"]!.Line);
        var local = Assert.IsType<TomlTable>(registries["localhost:5000"]!.Value);
        Assert.Equal(false, local["insecure"]!.Value);
        Assert.Equal("x", Assert.IsType<TomlTable>(local["dotted"]!.Value)["key"]!.Value);
        Assert.Equal(["root", "jobs", "negative", "enabled", "literal", "escaped", "gc", "registry"], doc.Entries.Select(e => e.Key));
    }

    [Theory]
    [InlineData("a = {x = 1}", 1, "inline tables")]
    [InlineData("a = 1.5", 1, "unsupported value")]
    [InlineData("a = 1979-05-27", 1, "unsupported value")]
    [InlineData("a = \"\"\"multi\"\"\"", 1, "multi-line")]
    [InlineData("a = 1\na = 2", 2, "defined twice")]
    [InlineData("[t]\n[t]", 2, "defined twice")]
    [InlineData("[[arr]]", 1, "arrays of tables")]
    [InlineData("a = \"open", 1, "unterminated string")]
    [InlineData("a = [1, \"x\"]", 1, "same type")]
    [InlineData("a = [1, 2", 1, "unterminated array")]
    [InlineData("a = 1 b = 2", 1, "one key = value per line")]
    [InlineData("\n\nkey", 3, "expected '='")]
    [InlineData("a = 012", 1, "unsupported value")]
    [InlineData("a = \"\\q\"", 1, "invalid escape")]
    [InlineData("a = 1\n[a]", 2, "is a value")]
    public void Refuses_WhatItDoesNotSupport_NamingTheLine(string text, int line, string message)
    {
        var e = Assert.Throws<TomlFormatException>(() => TomlSubset.Parse(text, "f.toml"));
        Assert.Equal(line, e.Line);
        Assert.Contains(message, e.Message);
        Assert.StartsWith($"f.toml:{line}: ", e.Message);
    }

    [Theory]
    [InlineData("1048576", 1048576L)]
    [InlineData("512MB", 512L << 20)]
    [InlineData("20GB", 20L << 30)]
    [InlineData("20 GiB", 20L << 30)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("100kb", 102400L)]
    [InlineData("7B", 7L)]
    public void ByteSize_ReadsDockerStyleSizes(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text, "x"));

    [Theory]
    [InlineData("lots")]
    [InlineData("-1GB")]
    [InlineData("GB")]
    [InlineData("99999999999TB")]
    public void ByteSize_RefusesNonsense(string text) => Assert.Throws<FormatException>(() => ByteSize.Parse(text, "x"));

    [Theory]
    [InlineData(20L << 30, "20GB")]
    [InlineData(1536L << 20, "1536MB")]
    [InlineData(1000L, "1000")]
    public void ByteSize_FormatsExactly(long bytes, string text) => Assert.Equal(text, ByteSize.Format(bytes));
}
