using System.Globalization;
using System.Text;
using Csbuild.Frontend.Instructions;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Conversion;

/// <summary>
/// <c>RUN --mount=…</c> values → <see cref="ExecMount"/>s, with the rules of the Dockerfile reference (BuildKit's
/// parseMount): CSV fields of key=value, type first (default bind), values expanded with the stage's environment,
/// relative targets taken from the working directory, <c>from=</c> naming a stage, an image, or (default, for
/// bind) the build context, which becomes an extra input of the RUN vertex.
/// </summary>
internal static class MountConversion
{
    private const string SecretsDirectory = "/run/secrets/";
    private const string SshAgentPrefix = "/run/buildkit/ssh_agent.";

    /// <summary>A --mount value split into fields, before defaults and vertices.</summary>
    internal sealed record ParsedMount(ExecMountType Type)
    {
        public string? From { get; set; }
        public string? Source { get; set; }
        public string? Target { get; set; }
        public bool? ReadOnly { get; set; }
        public string? Id { get; set; }
        public CacheSharing? Sharing { get; set; }
        public int? Mode { get; set; }
        public uint? Uid { get; set; }
        public uint? Gid { get; set; }
        public string? Env { get; set; }
        public bool Required { get; set; }
        public long? SizeBytes { get; set; }
    }

    /// <summary>
    /// The mounts of a RUN step. <paramref name="inputs"/> starts with the stage's filesystem; a vertex each mount
    /// reads is appended once and named by its index.
    /// </summary>
    public static IReadOnlyList<ExecMount> Convert(RunInstruction run, StageState state, ConversionContext ctx, List<Vertex> inputs)
    {
        var mounts = new List<ExecMount>(run.Mounts.Count);
        var targets = new HashSet<string>(StringComparer.Ordinal);
        var sshCount = 0;
        foreach (var value in run.Mounts)
        {
            ParsedMount parsed;
            try
            {
                parsed = Parse(value, word => ctx.Expand(run, word, state));
            }
            catch (FormatException e)
            {
                throw ctx.Error(run, e.Message, "see https://docs.docker.com/reference/dockerfile/#run---mount", "--mount");
            }
            var mount = parsed.Type switch
            {
                ExecMountType.Bind => Bind(parsed, run, state, ctx, inputs),
                ExecMountType.Cache => Cache(parsed, run, state, ctx, inputs),
                ExecMountType.Tmpfs => new ExecMount { Type = ExecMountType.Tmpfs, Target = Target(parsed, run, state, ctx), SizeBytes = parsed.SizeBytes },
                ExecMountType.Secret => Secret(parsed, run, state, ctx),
                ExecMountType.Ssh => Ssh(parsed, run, state, ctx, sshCount++),
                _ => throw ctx.Error(run, $"unsupported mount type {parsed.Type}", near: "--mount"),
            };
            if (mount.Target.Length > 0 && !targets.Add(mount.Target))
                throw ctx.Error(run, $"mount target {mount.Target} is used by more than one --mount", near: "--mount");
            mounts.Add(mount);
        }
        return mounts;
    }

    /// <summary>The unexpanded <c>from=</c> values of a RUN's mounts (for ordering stages before conversion).</summary>
    public static IEnumerable<string> FromValues(RunInstruction run, Func<string, string> expand)
    {
        foreach (var value in run.Mounts)
        {
            ParsedMount parsed;
            try { parsed = Parse(value, expand); }
            catch (FormatException) { continue; } // reported when the RUN is converted
            if (parsed.From is { Length: > 0 } from) yield return from;
        }
    }

    private static ExecMount Bind(ParsedMount m, RunInstruction run, StageState state, ConversionContext ctx, List<Vertex> inputs)
    {
        var source = FromVertex(m.From, run, state, ctx) ?? ctx.ContextVertex;
        return new ExecMount
        {
            Type = ExecMountType.Bind,
            Target = Target(m, run, state, ctx),
            SourceInput = IndexOf(inputs, source),
            Source = CleanAbsolute(m.Source ?? "/"),
            ReadOnly = m.ReadOnly ?? true,
        };
    }

    private static ExecMount Cache(ParsedMount m, RunInstruction run, StageState state, ConversionContext ctx, List<Vertex> inputs)
    {
        var target = Target(m, run, state, ctx);
        int? sourceInput = FromVertex(m.From, run, state, ctx) is { } from ? IndexOf(inputs, from) : null;
        return new ExecMount
        {
            Type = ExecMountType.Cache,
            Target = target,
            Id = string.IsNullOrEmpty(m.Id) ? target : m.Id,
            SourceInput = sourceInput,
            Source = CleanAbsolute(m.Source ?? "/"),
            ReadOnly = m.ReadOnly ?? false,
            Sharing = m.Sharing ?? CacheSharing.Shared,
            Mode = m.Mode ?? 0b111_101_101,
            Uid = m.Uid ?? 0,
            Gid = m.Gid ?? 0,
        };
    }

    private static ExecMount Secret(ParsedMount m, RunInstruction run, StageState state, ConversionContext ctx)
    {
        if (m.From is not null) throw ctx.Error(run, "secret mount should not have a from", near: "--mount");
        if (m.Source is not null && m.Id is not null) throw ctx.Error(run, "both source and id can't be set", near: "--mount");
        var id = m.Id ?? m.Source ?? (m.Target is { Length: > 0 } t ? BaseName(t) : null);
        if (string.IsNullOrEmpty(id))
            throw ctx.Error(run, "one of source, target required", "name the secret: --mount=type=secret,id=mysecret", "--mount");
        var target = m.Target is { Length: > 0 } ? Target(m, run, state, ctx)
            : m.Env is null ? SecretsDirectory + BaseName(id) : "";
        if (m.Env is { } env && (env.Length == 0 || env.Contains('=')))
            throw ctx.Error(run, $"invalid secret environment variable name \"{env}\"", near: "--mount");
        return new ExecMount
        {
            Type = ExecMountType.Secret,
            Target = target,
            Id = id,
            Env = m.Env,
            Required = m.Required,
            Mode = m.Mode ?? 0b100_000_000,
            Uid = m.Uid ?? 0,
            Gid = m.Gid ?? 0,
            ReadOnly = true,
        };
    }

    private static ExecMount Ssh(ParsedMount m, RunInstruction run, StageState state, ConversionContext ctx, int index)
    {
        if (m.From is not null) throw ctx.Error(run, "ssh mount should not have a from", near: "--mount");
        return new ExecMount
        {
            Type = ExecMountType.Ssh,
            Target = m.Target is { Length: > 0 } ? Target(m, run, state, ctx) : SshAgentPrefix + (index + 1).ToString(CultureInfo.InvariantCulture),
            Id = string.IsNullOrEmpty(m.Id) ? "default" : m.Id,
            Required = m.Required,
            Mode = m.Mode ?? 0b110_000_000,
            Uid = m.Uid ?? 0,
            Gid = m.Gid ?? 0,
            ReadOnly = true,
        };
    }

    /// <summary>The target as an absolute, lexically clean path: relative to the working directory, ".." never above "/".</summary>
    private static string Target(ParsedMount m, RunInstruction run, StageState state, ConversionContext ctx)
    {
        if (string.IsNullOrEmpty(m.Target))
            throw ctx.Error(run, "mount target must be specified", $"add target=/path to the {m.Type.ToString().ToLowerInvariant()} mount", "--mount");
        var target = m.Target.StartsWith('/') ? CleanAbsolute(m.Target) : CleanAbsolute(state.WorkingDir + "/" + m.Target);
        if (target == "/") throw ctx.Error(run, $"invalid mount target \"{m.Target}\"", "a mount cannot replace the root directory", "--mount");
        return target;
    }

    private static string BaseName(string path)
    {
        var trimmed = path.TrimEnd('/');
        return trimmed.Length == 0 ? path : trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    /// <summary>Resolves "." and ".." lexically, never going above "/".</summary>
    internal static string CleanAbsolute(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>The vertex a from= value names: a stage's result, or an image; null when there is no from=.</summary>
    private static Vertex? FromVertex(string? from, RunInstruction run, StageState state, ConversionContext ctx)
    {
        if (string.IsNullOrEmpty(from)) return null;
        if (FindStage(from, state.Stage, ctx, run) is { } stage)
        {
            if (!ctx.Stages.TryGetValue(stage.Index, out var source))
                throw ctx.NotSupported(run, $"RUN --mount from={from} naming a stage this build does not otherwise need", "--mount");
            return source.State;
        }
        var platform = StageConverter.ImagePlatform(null, state.Platform);
        switch (ctx.Named.Find(from))
        {
            case { Context: LocalNamedContext } local: return ctx.Named.LocalVertex(local.Name, ctx.Request.NoCache);
            case { Context: ImageNamedContext image }: return ctx.NewVertex(state, new ImageOp(image.Reference, platform), "[internal] load build context " + from);
        }
        return ctx.NewVertex(state, new ImageOp(from, platform), "[internal] load image " + from);
    }

    /// <summary>The stage a from= value names (a name or an index), or null for an image.</summary>
    internal static Stage? FindStage(string from, Stage current, ConversionContext ctx, Instruction at)
    {
        Stage? stage;
        if (int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            if (index >= ctx.Model.Stages.Count)
                throw ctx.Error(at, $"invalid stage index {index}", $"the Dockerfile has {ctx.Model.Stages.Count} stage(s), numbered from 0", "--mount");
            stage = ctx.Model.Stages[index];
        }
        else
        {
            stage = StagePlan.FindByName(ctx, from);
        }
        if (stage is not null && stage.Index == current.Index)
            throw ctx.Error(at, $"circular dependency detected on stage: {StagePlan.Describe(current)}", "a stage can't mount itself", "--mount");
        return stage;
    }

    private static int IndexOf(List<Vertex> inputs, Vertex vertex)
    {
        var at = inputs.IndexOf(vertex);
        if (at >= 0) return at;
        inputs.Add(vertex);
        return inputs.Count - 1;
    }

    /// <summary>Parses one --mount value. Throws <see cref="FormatException"/> with BuildKit's wording.</summary>
    internal static ParsedMount Parse(string value, Func<string, string> expand)
    {
        var fields = SplitCsv(value);
        var type = ExecMountType.Bind;
        // The type decides which keys are allowed, so it is read first wherever it is written.
        foreach (var field in fields)
        {
            var eq = field.IndexOf('=');
            if (eq > 0 && field[..eq].Equals("type", StringComparison.OrdinalIgnoreCase))
                type = ParseType(expand(field[(eq + 1)..]));
        }

        var m = new ParsedMount(type);
        foreach (var field in fields)
        {
            var eq = field.IndexOf('=');
            var key = (eq < 0 ? field : field[..eq]).ToLowerInvariant();
            if (eq < 0)
            {
                switch (key)
                {
                    case "readonly" or "ro": m.ReadOnly = true; continue;
                    case "readwrite" or "rw": m.ReadOnly = false; continue;
                    case "required" when type is ExecMountType.Secret or ExecMountType.Ssh: m.Required = true; continue;
                    case "required": throw new FormatException($"unexpected key '{key}' for mount type '{TypeName(type)}'");
                    default: throw new FormatException($"invalid field '{field}' must be a key=value pair");
                }
            }
            var raw = expand(field[(eq + 1)..]);
            switch (key)
            {
                case "type": break;
                case "from": m.From = raw; break;
                case "source" or "src": m.Source = raw; break;
                case "target" or "dst" or "destination": m.Target = raw; break;
                case "readonly" or "ro": m.ReadOnly = ParseBool(key, raw); break;
                case "readwrite" or "rw": m.ReadOnly = !ParseBool(key, raw); break;
                case "required" when type is ExecMountType.Secret or ExecMountType.Ssh: m.Required = ParseBool(key, raw); break;
                case "size" when type == ExecMountType.Tmpfs: m.SizeBytes = ParseSize(raw); break;
                case "id": m.Id = raw; break;
                case "sharing" when type == ExecMountType.Cache: m.Sharing = ParseSharing(raw); break;
                case "sharing": throw new FormatException($"invalid cache sharing set for {TypeName(type)} mount");
                case "mode": m.Mode = (int)ParseNumber(key, raw, 8); break;
                case "uid": m.Uid = (uint)ParseNumber(key, raw, 10); break;
                case "gid": m.Gid = (uint)ParseNumber(key, raw, 10); break;
                case "env" when type == ExecMountType.Secret: m.Env = raw; break;
                case "required" or "size" or "env":
                    throw new FormatException($"unexpected key '{key}' for mount type '{TypeName(type)}'");
                default: throw new FormatException($"unexpected key '{key}' in '{field}'");
            }
        }
        var fileInfoAllowed = type is ExecMountType.Secret or ExecMountType.Ssh or ExecMountType.Cache;
        if (!fileInfoAllowed && (m.Mode is not null || m.Uid is not null || m.Gid is not null))
            throw new FormatException($"mode, uid and gid are not allowed for {TypeName(type)} mounts");
        return m;
    }

    private static ExecMountType ParseType(string value) => value.ToLowerInvariant() switch
    {
        "bind" => ExecMountType.Bind,
        "cache" => ExecMountType.Cache,
        "tmpfs" => ExecMountType.Tmpfs,
        "secret" => ExecMountType.Secret,
        "ssh" => ExecMountType.Ssh,
        _ => throw new FormatException($"unsupported mount type \"{value}\" (expected bind, cache, tmpfs, secret or ssh)"),
    };

    private static string TypeName(ExecMountType type) => type.ToString().ToLowerInvariant();

    private static CacheSharing ParseSharing(string value) => value.ToLowerInvariant() switch
    {
        "shared" => CacheSharing.Shared,
        "private" => CacheSharing.Private,
        "locked" => CacheSharing.Locked,
        _ => throw new FormatException($"unsupported sharing value \"{value}\" (expected shared, private or locked)"),
    };

    /// <summary>Go's strconv.ParseBool.</summary>
    private static bool ParseBool(string key, string value) => value switch
    {
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => throw new FormatException($"invalid value for {key}: {value}"),
    };

    private static ulong ParseNumber(string key, string value, int radix)
    {
        try
        {
            var number = System.Convert.ToUInt64(value, radix);
            if (number > uint.MaxValue) throw new OverflowException();
            return number;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new FormatException($"invalid value for {key}: {value}");
        }
    }

    /// <summary>Docker's RAMInBytes: a number with an optional b, k, m, g, t suffix (powers of 1024; "kb", "mib" accepted).</summary>
    internal static long ParseSize(string value)
    {
        var text = value.Trim().ToLowerInvariant();
        var end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.')) end++;
        if (end == 0 || !double.TryParse(text[..end], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            throw new FormatException($"invalid size: '{value}'");
        var unit = text[end..].Trim();
        if (unit.EndsWith("ib", StringComparison.Ordinal)) unit = unit[..^2];
        else if (unit.Length == 2 && unit[1] == 'b') unit = unit[..1];
        long multiplier = unit switch
        {
            "" or "b" => 1,
            "k" => 1L << 10,
            "m" => 1L << 20,
            "g" => 1L << 30,
            "t" => 1L << 40,
            _ => throw new FormatException($"invalid size: '{value}'"),
        };
        return (long)(number * multiplier);
    }

    /// <summary>Splits like Go's encoding/csv (one record): commas separate; a field starting with " is quoted, "" escapes ".</summary>
    internal static List<string> SplitCsv(string value)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (true)
        {
            field.Clear();
            if (i < value.Length && value[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= value.Length) throw new FormatException($"unterminated quote in mount value '{value}'");
                    if (value[i] == '"')
                    {
                        if (i + 1 < value.Length && value[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(value[i++]);
                }
                if (i < value.Length && value[i] != ',') throw new FormatException($"extraneous text after a quoted field in mount value '{value}'");
            }
            else
            {
                while (i < value.Length && value[i] != ',') field.Append(value[i++]);
            }
            if (field.Length > 0) fields.Add(field.ToString());
            if (i >= value.Length) break;
            i++; // the comma
        }
        if (fields.Count == 0) throw new FormatException("empty --mount value");
        return fields;
    }
}
