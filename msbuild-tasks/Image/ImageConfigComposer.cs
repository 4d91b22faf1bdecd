using Csbuild.Containers.Layers;
using Csbuild.Oci.Model;

namespace Csbuild.Containers.Image;

/// <summary>
/// Derives the image config from the base image's config and the Container* settings, following the .NET SDK's rules
/// for the app command (ContainerAppCommandInstruction), user (APP_UID of Microsoft's images), environment and labels.
/// All times are SOURCE_DATE_EPOCH so the config, and with it the digest, is reproducible.
/// </summary>
public static class ImageConfigComposer
{
    public const string CreatedLabel = "org.opencontainers.image.created";
    public const string BaseNameLabel = "org.opencontainers.image.base.name";
    public const string BaseDigestLabel = "org.opencontainers.image.base.digest";

    public static ImageConfig Compose(ImageConfig baseConfig, ContainerRequest request, string baseName, Digest baseDigest, IReadOnlyList<BuiltLayer> layers)
    {
        var config = baseConfig.Clone();
        var created = request.SourceDateEpoch ?? DateTimeOffset.UnixEpoch;
        var container = config.Config;
        container.WorkingDir = request.WorkingDirectory;

        container.Env = MergeEnvironment(container.Env, request.EnvironmentVariables);

        if (request.Ports.Count > 0)
        {
            container.ExposedPorts ??= new Dictionary<string, EmptyObject>(StringComparer.Ordinal);
            foreach (var port in request.Ports) container.ExposedPorts[port.ToString()] = new EmptyObject();
        }

        var labels = container.Labels is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new(container.Labels, StringComparer.Ordinal);
        if (request.GenerateLabels)
        {
            labels[CreatedLabel] = created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
            labels[BaseNameLabel] = baseName;
            labels[BaseDigestLabel] = baseDigest.ToString();
        }
        foreach (var (key, value) in request.Labels) labels[key] = value;
        container.Labels = labels.Count == 0 ? null : labels;

        if (!string.IsNullOrWhiteSpace(request.User)) container.User = request.User;
        else if (FindVariable(container.Env, "APP_UID") is { Length: > 0 } appUid) container.User = appUid;

        ApplyCommand(container, request);

        config.Created = created;
        config.RootFs.DiffIds.AddRange(layers.Select(l => l.DiffId.ToString()));
        foreach (var layer in layers)
            config.History.Add(new HistoryEntry { Created = created, CreatedBy = $"csbuild dotnet publish: {layer.Name}", Comment = "Csbuild.Containers" });
        return config;
    }

    /// <summary>The SDK's placement of the app command: in the entrypoint, in the default args (after an existing entrypoint), or not at all.</summary>
    public static void ApplyCommand(ContainerConfig container, ContainerRequest request)
    {
        var instruction = request.AppCommandInstruction
            ?? (request.Entrypoint.Count > 0 || container.Entrypoint is { Count: > 0 } ? AppCommandInstruction.DefaultArgs : AppCommandInstruction.Entrypoint);
        var appCommand = request.AppCommand.Concat(request.AppCommandArgs).ToList();
        switch (instruction)
        {
            case AppCommandInstruction.Entrypoint:
                if (request.Entrypoint.Count > 0)
                    throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty,
                        "ContainerEntrypoint cannot be combined with ContainerAppCommandInstruction=Entrypoint; use ContainerAppCommand instead");
                if (appCommand.Count == 0)
                    throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, "ContainerAppCommand is empty: set it or ContainerAppCommandInstruction=None");
                container.Entrypoint = appCommand;
                // As docker build does for ENTRYPOINT: the base image's CMD was meant for the base image's entrypoint.
                container.Cmd = request.DefaultArgs.Count > 0 ? request.DefaultArgs.ToList() : null;
                break;
            case AppCommandInstruction.DefaultArgs:
                if (request.Entrypoint.Count > 0) container.Entrypoint = request.Entrypoint.Concat(request.EntrypointArgs).ToList();
                var cmd = appCommand.Concat(request.DefaultArgs).ToList();
                container.Cmd = cmd.Count > 0 ? cmd : container.Cmd;
                break;
            case AppCommandInstruction.None:
                if (request.Entrypoint.Count > 0) container.Entrypoint = request.Entrypoint.Concat(request.EntrypointArgs).ToList();
                if (request.DefaultArgs.Count > 0) container.Cmd = request.DefaultArgs.ToList();
                break;
        }
    }

    private static List<string>? MergeEnvironment(List<string>? baseEnv, IReadOnlyList<KeyValuePair<string, string>> variables)
    {
        if (variables.Count == 0) return baseEnv;
        var result = baseEnv?.ToList() ?? [];
        foreach (var (name, value) in variables)
        {
            int existing = result.FindIndex(e => e.StartsWith(name + "=", StringComparison.Ordinal));
            if (existing >= 0) result[existing] = $"{name}={value}";
            else result.Add($"{name}={value}");
        }
        return result;
    }

    private static string? FindVariable(List<string>? env, string name) =>
        env?.LastOrDefault(e => e.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];
}
