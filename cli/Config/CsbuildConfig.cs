namespace Csbuild.Cli.Config;

/// <summary>A setting's effective value and where it came from ("default", "env CSBUILD_ROOT", "/etc/csbuild/config.toml:3").</summary>
public sealed record ConfigValue<T>(T Value, string Source);

/// <summary>Settings of one registry host: <c>[registry."host"]</c>.</summary>
public sealed record RegistryConfig(string Host, ConfigValue<IReadOnlyList<string>> Mirrors, ConfigValue<bool> Insecure);

/// <summary>
/// csbuild's effective configuration. Sources, later ones winning key by key: built-in defaults,
/// <c>/etc/csbuild/config.toml</c>, <c>$XDG_CONFIG_HOME/csbuild/config.toml</c> (else <c>~/.config/csbuild/config.toml</c>),
/// environment variables (<c>CSBUILD_ROOT</c>); command-line flags override all of them. <c>CSBUILD_CONFIG=FILE</c>
/// reads only that file instead of the two standard ones (for CI jobs and tests).
/// </summary>
/// <remarks>
/// The file format (a TOML subset, see <see cref="TomlSubset"/>):
/// <code>
/// root = "/var/lib/csbuild"        # state directory
/// runtime = "runc"                 # OCI runtime for RUN steps and csbuild run
/// [gc]
/// keep_storage = "20GB"            # cache budget: bytes, or a size with a unit (binary: 1GB = 1024^3)
/// [registry."docker.io"]
/// mirrors = ["mirror.gcr.io"]      # tried before the registry itself, in order
/// [registry."localhost:5000"]
/// insecure = true                  # plain HTTP or an unverified certificate allowed
/// </code>
/// </remarks>
public sealed class CsbuildConfig
{
    public const string ConfigVariable = "CSBUILD_CONFIG";
    public const string RootVariable = "CSBUILD_ROOT";
    public const string SystemConfigPath = "/etc/csbuild/config.toml";
    public const string DefaultRuntime = "runc";

    public required ConfigValue<string> Root { get; init; }
    public required ConfigValue<string> Runtime { get; init; }

    /// <summary>The cache size budget for garbage collection in bytes; null when no file sets it (the collector's default applies).</summary>
    public required ConfigValue<long?> GcKeepStorage { get; init; }

    /// <summary>Per-registry settings, keyed by host[:port] as written in the file (Docker Hub is <c>docker.io</c>).</summary>
    public required IReadOnlyDictionary<string, RegistryConfig> Registries { get; init; }

    /// <summary>The files looked at, in order, and whether each existed.</summary>
    public required IReadOnlyList<(string Path, bool Found)> Files { get; init; }

    /// <summary>Registries marked <c>insecure = true</c>, in the form <c>--insecure-registry</c> takes.</summary>
    public IReadOnlyList<string> InsecureRegistries => Registries.Values.Where(r => r.Insecure.Value).Select(r => r.Host).ToList();

    /// <summary>The mirrors of a registry (empty when none are configured).</summary>
    public IReadOnlyList<string> MirrorsFor(string registry)
    {
        var host = registry is "index.docker.io" or "registry-1.docker.io" ? "docker.io" : registry;
        return Registries.TryGetValue(host, out var config) ? config.Mirrors.Value : [];
    }

    /// <summary>Every registry's mirrors, in the form <see cref="Csbuild.Oci.Registry.RegistryOptions.Mirrors"/> takes.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Mirrors =>
        Registries.Values.Where(r => r.Mirrors.Value.Count > 0).ToDictionary(r => r.Host, r => r.Mirrors.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>Loads the configuration of this process (real environment and files).</summary>
    /// <exception cref="CliException">A config file is unreadable or invalid (exit code 2, naming file and line).</exception>
    public static CsbuildConfig Load() => Load(Environment.GetEnvironmentVariable, Environment.IsPrivilegedProcess);

    /// <summary>Loads the configuration with the given environment (for tests).</summary>
    public static CsbuildConfig Load(Func<string, string?> getVariable, bool isRoot)
    {
        var builder = new ConfigBuilder(DefaultRoot(getVariable, isRoot));
        var files = new List<(string, bool)>();
        foreach (var path in ConfigFiles(getVariable))
        {
            bool found = File.Exists(path);
            files.Add((path, found));
            if (!found)
            {
                if (getVariable(ConfigVariable) is { Length: > 0 })
                    throw new CliException($"{ConfigVariable}={path}: no such file");
                continue;
            }
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot read config file {path}: {e.Message}");
            }
            try
            {
                builder.Apply(TomlSubset.Parse(text, path), path);
            }
            catch (FormatException e)
            {
                throw new CliException($"invalid config file: {e.Message}");
            }
        }
        if (getVariable(RootVariable) is { Length: > 0 } rootFromEnv)
            builder.Root = new ConfigValue<string>(rootFromEnv, "env " + RootVariable);
        return builder.Build(files);
    }

    /// <summary>The files read, lowest precedence first.</summary>
    public static IReadOnlyList<string> ConfigFiles(Func<string, string?> getVariable)
    {
        if (getVariable(ConfigVariable) is { Length: > 0 } explicitFile) return [Path.GetFullPath(explicitFile)];
        return [SystemConfigPath, Path.Combine(ConfigHome(getVariable), "csbuild", "config.toml")];
    }

    private static string ConfigHome(Func<string, string?> getVariable) =>
        getVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Home(getVariable), ".config");

    private static string Home(Func<string, string?> getVariable) =>
        getVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>The built-in root (DESIGN.md: Storage): /var/lib/csbuild as root, else $XDG_DATA_HOME/csbuild.</summary>
    private static string DefaultRoot(Func<string, string?> getVariable, bool isRoot)
    {
        if (isRoot) return "/var/lib/csbuild";
        var data = getVariable("XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Home(getVariable), ".local", "share");
        return Path.Combine(data, "csbuild");
    }

    /// <summary>Collects values file by file, checking names and types so a typo is an error rather than ignored.</summary>
    private sealed class ConfigBuilder(string defaultRoot)
    {
        public ConfigValue<string> Root = new(defaultRoot, "default");
        private ConfigValue<string> _runtime = new(DefaultRuntime, "default");
        private ConfigValue<long?> _keepStorage = new(null, "default");
        private readonly Dictionary<string, (ConfigValue<IReadOnlyList<string>> Mirrors, ConfigValue<bool> Insecure)> _registries = new(StringComparer.Ordinal);

        public void Apply(TomlTable document, string path)
        {
            foreach (var (key, entry) in document.Entries)
            {
                var source = $"{path}:{entry.Line}";
                switch (key)
                {
                    case "root":
                        var root = Expect<string>(entry, path, key);
                        if (!System.IO.Path.IsPathRooted(root)) throw new FormatException($"{source}: root must be an absolute path, not '{root}'");
                        Root = new(root, source);
                        break;
                    case "runtime":
                        var runtime = Expect<string>(entry, path, key);
                        if (runtime.Length == 0) throw new FormatException($"{source}: runtime must not be empty");
                        _runtime = new(runtime, source);
                        break;
                    case "gc":
                        ApplyGc(ExpectTable(entry, path, key), path);
                        break;
                    case "registry":
                        foreach (var (host, hostEntry) in ExpectTable(entry, path, key).Entries)
                            ApplyRegistry(host, ExpectTable(hostEntry, path, $"registry.\"{host}\""), path);
                        break;
                    default:
                        throw new FormatException($"{source}: unknown setting '{key}' (known: root, runtime, [gc], [registry.\"HOST\"])");
                }
            }
        }

        private void ApplyGc(TomlTable gc, string path)
        {
            foreach (var (key, entry) in gc.Entries)
            {
                if (key != "keep_storage") throw new FormatException($"{path}:{entry.Line}: unknown setting 'gc.{key}' (known: keep_storage)");
                long bytes = entry.Value switch
                {
                    long n when n >= 0 => n,
                    string s => ByteSize.Parse(s, $"{path}:{entry.Line}: gc.keep_storage"),
                    _ => throw new FormatException($"{path}:{entry.Line}: gc.keep_storage must be a byte count or a size such as \"20GB\""),
                };
                _keepStorage = new(bytes, $"{path}:{entry.Line}");
            }
        }

        private static bool IsHost(string text) => text.Length > 0 && !text.Contains('/') && !text.Contains(' ');

        private void ApplyRegistry(string host, TomlTable table, string path)
        {
            if (!IsHost(host))
                throw new FormatException($"{path}: [registry.\"{host}\"]: expected a registry host[:port] such as \"docker.io\" or \"localhost:5000\"");
            (ConfigValue<IReadOnlyList<string>> Mirrors, ConfigValue<bool> Insecure) current = _registries.TryGetValue(host, out var existing)
                ? existing
                : (new ConfigValue<IReadOnlyList<string>>([], "default"), new ConfigValue<bool>(false, "default"));
            foreach (var (key, entry) in table.Entries)
            {
                var source = $"{path}:{entry.Line}";
                switch (key)
                {
                    case "mirrors":
                        if (entry.Value is not List<object> items || items.Any(i => i is not string))
                            throw new FormatException($"{source}: registry.\"{host}\".mirrors must be an array of strings");
                        if (items.Cast<string>().FirstOrDefault(m => !IsHost(m)) is { } bad)
                            throw new FormatException($"{source}: registry.\"{host}\".mirrors: \"{bad}\" is not a registry host[:port] "
                                + "(no scheme or path; allow plain HTTP with insecure = true in the mirror's own [registry.\"HOST\"] table)");
                        current.Mirrors = new(items.Cast<string>().ToList(), source);
                        break;
                    case "insecure":
                        current.Insecure = new(Expect<bool>(entry, path, $"registry.\"{host}\".insecure"), source);
                        break;
                    default:
                        throw new FormatException($"{source}: unknown setting 'registry.\"{host}\".{key}' (known: mirrors, insecure)");
                }
            }
            _registries[host] = current;
        }

        private static T Expect<T>(TomlEntry entry, string path, string key) => entry.Value is T value
            ? value
            : throw new FormatException($"{path}:{entry.Line}: {key} must be {(typeof(T) == typeof(string) ? "a string" : typeof(T) == typeof(bool) ? "true or false" : typeof(T).Name)}");

        private static TomlTable ExpectTable(TomlEntry entry, string path, string key) => entry.Value as TomlTable
            ?? throw new FormatException($"{path}:{entry.Line}: {key} must be a table ([{key}])");

        public CsbuildConfig Build(IReadOnlyList<(string, bool)> files) => new()
        {
            Root = Root,
            Runtime = _runtime,
            GcKeepStorage = _keepStorage,
            Registries = _registries.ToDictionary(r => r.Key, r => new RegistryConfig(r.Key, r.Value.Mirrors, r.Value.Insecure), StringComparer.Ordinal),
            Files = files,
        };
    }
}
