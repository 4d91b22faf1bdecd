using System.Text;
using System.Text.Json;
using Csbuild.Frontend;
using Csbuild.Frontend.Outline;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>--call build|check|outline|targets[,format=text|json]</c> (buildx's build methods). Outline and targets
/// read the Dockerfile only and print what BuildKit's subrequests print; nothing is built and the exit code is 0.
/// </summary>
internal sealed record CallMode(string Method, bool Json)
{
    public static readonly CallMode Build = new("build", false);

    public static CallMode Parse(string? text, bool checkFlag)
    {
        if (string.IsNullOrEmpty(text)) return checkFlag ? new CallMode("check", false) : Build;
        var fields = text.Split(',');
        var method = fields[0].Trim().ToLowerInvariant();
        if (method is not ("build" or "check" or "outline" or "targets"))
            throw new CliException($"invalid --call \"{fields[0]}\": expected build, check, outline or targets");
        var json = false;
        foreach (var field in fields.Skip(1))
        {
            var eq = field.IndexOf('=');
            var key = eq < 0 ? field : field[..eq];
            var value = eq < 0 ? "" : field[(eq + 1)..];
            if (key != "format") throw new CliException($"invalid --call option \"{field}\": only format=text|json is known");
            json = value switch
            {
                "json" => true,
                "text" or "" => false,
                _ => throw new CliException($"invalid --call format \"{value}\": expected text or json"),
            };
        }
        if (checkFlag && method != "check") throw new CliException("--check is shorthand for --call=check; do not combine it with --call " + method);
        return new CallMode(method, json);
    }

    public static string FormatOutline(BuildOutline outline, bool json) => json ? OutlineJson(outline) : OutlineText(outline);

    public static string FormatTargets(IReadOnlyList<BuildTarget> targets, bool json) => json ? TargetsJson(targets) : TargetsText(targets);

    /// <summary>BuildKit's PrintOutline: a TARGET block, then BUILD ARG, SECRET and SSH tables, each followed by a blank line.</summary>
    private static string OutlineText(BuildOutline o)
    {
        var text = new StringBuilder();
        if (o.Name is not null || o.Description is not null)
        {
            var rows = new List<string[]> { new[] { "TARGET:", o.Name ?? "(default)" } };
            if (o.Description is not null) rows.Add(["DESCRIPTION:", o.Description]);
            Table(text, rows, padding: 1);
            text.Append('\n');
        }
        if (o.Args.Count > 0)
        {
            Table(text, [["BUILD ARG", "VALUE", "DESCRIPTION"], .. o.Args.Select(a => new[] { a.Name, a.Value ?? "", a.Description ?? "" })], padding: 3);
            text.Append('\n');
        }
        if (o.Secrets.Count > 0)
        {
            Table(text, [["SECRET", "REQUIRED"], .. o.Secrets.Select(s => new[] { s.Name, s.Required ? "true" : "" })], padding: 3);
            text.Append('\n');
        }
        if (o.Ssh.Count > 0)
        {
            Table(text, [["SSH", "REQUIRED"], .. o.Ssh.Select(s => new[] { s.Name, s.Required ? "true" : "" })], padding: 3);
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>buildx's targets list: the default stage marked "(default)".</summary>
    private static string TargetsText(IReadOnlyList<BuildTarget> targets)
    {
        var rows = new List<string[]> { new[] { "TARGET", "DESCRIPTION" } };
        foreach (var t in targets)
        {
            var name = t.Name is null ? (t.Default ? "(default)" : "") : t.Default ? t.Name + " (default)" : t.Name;
            rows.Add([name, t.Description ?? ""]);
        }
        var text = new StringBuilder();
        Table(text, rows, padding: 1);
        return text.ToString();
    }

    /// <summary>Go's tabwriter as BuildKit uses it: every column but the last padded to its widest cell plus the padding.</summary>
    private static void Table(StringBuilder text, List<string[]> rows, int padding)
    {
        var columns = rows.Max(r => r.Length);
        var widths = new int[columns];
        foreach (var row in rows)
            for (int i = 0; i < row.Length - 1; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (int i = 0; i < row.Length; i++)
                line.Append(i < row.Length - 1 ? row[i].PadRight(widths[i] + padding) : row[i]);
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
    }

    /// <summary>The outline subrequest's result.json: empty fields left out.</summary>
    private static string OutlineJson(BuildOutline o) => WriteJson(w =>
    {
        w.WriteStartObject();
        if (o.Name is not null) w.WriteString("name", o.Name);
        if (o.Description is not null) w.WriteString("description", o.Description);
        if (o.Args.Count > 0)
        {
            w.WriteStartArray("args");
            foreach (var a in o.Args)
            {
                w.WriteStartObject();
                w.WriteString("name", a.Name);
                if (a.Description is not null) w.WriteString("description", a.Description);
                if (!string.IsNullOrEmpty(a.Value)) w.WriteString("value", a.Value);
                Location(w, a.Line);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        Secrets(w, "secrets", o.Secrets);
        Secrets(w, "ssh", o.Ssh);
        w.WriteEndObject();
    });

    private static void Secrets(Utf8JsonWriter w, string name, IReadOnlyList<OutlineSecret> list)
    {
        if (list.Count == 0) return;
        w.WriteStartArray(name);
        foreach (var s in list)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            if (s.Required) w.WriteBoolean("required", true);
            Location(w, s.Line);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The targets subrequest's result.json (its list field is untagged in BuildKit, hence "Targets").</summary>
    private static string TargetsJson(IReadOnlyList<BuildTarget> targets) => WriteJson(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("Targets");
        foreach (var t in targets)
        {
            w.WriteStartObject();
            if (t.Name is not null) w.WriteString("name", t.Name);
            if (t.Default) w.WriteBoolean("default", true);
            if (t.Description is not null) w.WriteString("description", t.Description);
            w.WriteString("base", t.Base);
            if (t.Platform is not null) w.WriteString("platform", t.Platform);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>A pb.Location-shaped position: the instruction's line range (one line).</summary>
    private static void Location(Utf8JsonWriter w, int line)
    {
        w.WriteStartObject("location");
        w.WriteStartArray("ranges");
        w.WriteStartObject();
        w.WritePropertyName("start");
        w.WriteStartObject();
        w.WriteNumber("line", line);
        w.WriteEndObject();
        w.WritePropertyName("end");
        w.WriteStartObject();
        w.WriteNumber("line", line);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string WriteJson(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(w);
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
