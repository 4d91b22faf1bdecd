using System.Globalization;
using Csbuild.Solver;
using Csbuild.Solver.Graph;

namespace Csbuild.Cli;

/// <summary>
/// The build flags that shape RUN steps, parsed as docker buildx reads them: <c>--secret</c>, <c>--ssh</c>,
/// <c>--network</c>, <c>--memory</c>, <c>--cpu-quota</c>/<c>--cpus</c>, <c>--pids-limit</c>.
/// Messages name secret ids and sources, never secret values.
/// </summary>
internal static class RunStepFlags
{
    /// <summary>
    /// <c>id=x,src=FILE</c> (also <c>source=</c>, <c>type=file</c>), <c>id=x,env=VAR</c> (or <c>type=env,src=VAR</c>);
    /// with neither, the variable named by the id, else the file named by the id, as buildx does.
    /// </summary>
    public static Dictionary<string, SecretSource> ParseSecrets(IEnumerable<string> values)
    {
        var result = new Dictionary<string, SecretSource>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            string? id = null, type = null, src = null, env = null;
            foreach (var field in value.Split(','))
            {
                var eq = field.IndexOf('=');
                if (eq <= 0) throw new CliException($"invalid --secret '{value}': expected id=ID,src=FILE or id=ID,env=VARIABLE");
                var (key, v) = (field[..eq].Trim().ToLowerInvariant(), field[(eq + 1)..]);
                switch (key)
                {
                    case "id": id = v; break;
                    case "type": type = v.ToLowerInvariant(); break;
                    case "src" or "source": src = v; break;
                    case "env": env = v; break;
                    default: throw new CliException($"invalid --secret '{value}': unexpected key '{key}'");
                }
            }
            if (type is not (null or "file" or "env")) throw new CliException($"invalid --secret '{value}': type must be file or env");
            if (type == "env" && env is null) (env, src) = (src, null);
            id ??= src is not null ? Path.GetFileName(src) : env;
            if (string.IsNullOrEmpty(id)) throw new CliException($"invalid --secret '{value}': missing id");

            SecretSource source;
            if (env is not null) source = SecretSource.FromEnvironment(env);
            else if (src is not null) source = SecretSource.FromFile(src);
            else if (type != "file" && Environment.GetEnvironmentVariable(id) is not null) source = SecretSource.FromEnvironment(id);
            else source = SecretSource.FromFile(id);

            if (source.FilePath is { } file && !File.Exists(file))
                throw new CliException($"secret \"{id}\": file {file} not found", ExitCodes.BuildFailed);
            result[id] = source;
        }
        return result;
    }

    /// <summary><c>default</c> (the agent of $SSH_AUTH_SOCK), <c>default=SOCKET</c>, <c>id=SOCKET</c>.</summary>
    public static Dictionary<string, string> ParseSsh(IEnumerable<string> values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var eq = value.IndexOf('=');
            var id = eq < 0 ? value : value[..eq];
            var path = eq < 0 ? Environment.GetEnvironmentVariable("SSH_AUTH_SOCK") : value[(eq + 1)..];
            if (id.Length == 0) throw new CliException($"invalid --ssh '{value}': expected ID[=SOCKET]");
            if (string.IsNullOrEmpty(path))
                throw new CliException($"invalid --ssh '{value}': SSH_AUTH_SOCK is not set; give the agent socket as {id}=PATH");
            if (path.Contains(','))
                throw new CliException($"invalid --ssh '{value}': csbuild forwards one agent socket per id, not key files");
            var full = Path.GetFullPath(path);
            if (Oci.Native.Libc.TryStatNoFollow(full) is not { } status)
                throw new CliException($"--ssh {id}: {full} does not exist");
            if (status.FileType != Oci.Native.Libc.S_IFSOCK)
                throw new CliException($"--ssh {id}: {full} is not an agent socket (csbuild forwards SSH agents, it does not load key files; run ssh-add and pass $SSH_AUTH_SOCK)");
            result[id] = full;
        }
        return result;
    }

    /// <summary>The build-wide network of RUN steps.</summary>
    public static NetworkMode ParseNetwork(string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "default" => NetworkMode.Default,
        "none" => NetworkMode.None,
        "host" => NetworkMode.Host,
        _ => throw new CliException($"invalid --network '{value}': expected default, none or host"),
    };

    /// <summary>--memory, e.g. 512m, 2g (docker's binary units); at least 6 MiB as docker requires.</summary>
    public static long? ParseMemory(string? value)
    {
        if (value is null) return null;
        long bytes;
        try { bytes = Config.ByteSize.Parse(value, "--memory"); }
        catch (FormatException e) { throw new CliException(e.Message); }
        if (bytes < 6L << 20) throw new CliException($"invalid --memory '{value}': the minimum is 6m");
        return bytes;
    }

    /// <summary>--cpu-quota (microseconds per 100 ms) or --cpus (a fraction of CPUs); not both.</summary>
    public static long? ParseCpuQuota(long? quota, string? cpus)
    {
        if (quota is not null && cpus is not null) throw new CliException("--cpu-quota and --cpus cannot be used together");
        if (quota is { } q)
            return q >= 1000 ? q : throw new CliException($"invalid --cpu-quota {q}: the minimum is 1000 (microseconds per 100 ms period)");
        if (cpus is null) return null;
        if (!decimal.TryParse(cpus, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var count) || count <= 0)
            throw new CliException($"invalid --cpus '{cpus}': expected a positive number such as 1.5");
        return Math.Max(1000, (long)(count * Executor.RuntimeSpecBuilder.CpuPeriodMicroseconds));
    }

    public static long? ParsePidsLimit(long? value) => value switch
    {
        null or <= 0 => null, // docker: 0 or -1 means unlimited
        _ => value,
    };
}
