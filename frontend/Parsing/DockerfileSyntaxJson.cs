using System.Text.Encodings.Web;
using System.Text.Json;

namespace Csbuild.Frontend.Parsing;

/// <summary>
/// Renders a syntax tree as the stable JSON of <c>csbuild parse --format json</c> (docs/dockerfile-parse-json.md),
/// and as one line per instruction for <c>--format text</c>.
/// </summary>
public static class DockerfileSyntaxJson
{
    public static string Render(DockerfileSyntax syntax, bool indented = true)
    {
        using var stream = new MemoryStream();
        Write(syntax, stream, indented);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static void Write(DockerfileSyntax syntax, Stream output, bool indented = true)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions
        {
            Indented = indented,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
        w.WriteStartObject();
        w.WriteStartObject("directives");
        foreach (var (name, value) in syntax.Directives) w.WriteString(name, value);
        w.WriteEndObject();
        w.WriteStartArray("instructions");
        foreach (var node in syntax.Instructions) WriteNode(w, node);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    private static void WriteNode(Utf8JsonWriter w, InstructionNode node)
    {
        w.WriteStartObject();
        w.WriteNumber("line", node.Line);
        w.WriteNumber("endLine", node.EndLine);
        w.WriteString("command", node.Command);
        w.WriteStartArray("flags");
        foreach (var f in node.Flags) w.WriteStringValue(f);
        w.WriteEndArray();
        w.WriteStartArray("args");
        foreach (var a in node.Args) w.WriteStringValue(a);
        w.WriteEndArray();
        w.WriteBoolean("json", node.Json);
        w.WriteStartArray("heredocs");
        foreach (var h in node.Heredocs)
        {
            w.WriteStartObject();
            w.WriteString("name", h.Name);
            w.WriteString("content", h.Content);
            w.WriteBoolean("expand", h.Expand);
            w.WriteBoolean("chomp", h.Chomp);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (node.Next is not null)
        {
            w.WritePropertyName("next");
            WriteNode(w, node.Next);
        }
        w.WriteEndObject();
    }

    /// <summary>One instruction a line: <c>LINE COMMAND [flags] args</c>, arguments JSON-quoted so blanks stay visible.</summary>
    public static string RenderText(DockerfileSyntax syntax)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var (name, value) in syntax.Directives) sb.Append("# ").Append(name).Append('=').Append(value).Append('\n');
        foreach (var node in syntax.Instructions) sb.Append(node.Line).Append(' ').Append(TextOf(node)).Append('\n');
        return sb.ToString();
    }

    private static string TextOf(InstructionNode node)
    {
        var parts = new List<string> { node.Command.ToUpperInvariant() };
        parts.AddRange(node.Flags);
        if (node.Next is not null) parts.Add(TextOf(node.Next));
        else parts.AddRange(node.Args.Select(Quote));
        if (node.Json) parts.Add("(json)");
        foreach (var h in node.Heredocs) parts.Add($"<<{h.Name}({h.Content.Length} chars)");
        return string.Join(' ', parts);
    }

    private static string Quote(string value)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            w.WriteStringValue(value);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
