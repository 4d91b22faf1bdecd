using System.Globalization;

namespace Csbuild.Containers.Image;

/// <summary>Parsing of the Container* property and item values, strict and with CSB001 errors that name the property; no MSBuild types.</summary>
public static class ContainerPropertyParser
{
    /// <summary>A ResolvedFileToPublish item (its spec and a metadata reader; plain values so it is testable without MSBuild).</summary>
    public static PublishFile ToPublishFile(string itemSpec, Func<string, string> metadata)
    {
        var relative = metadata("RelativePath");
        if (string.IsNullOrEmpty(relative)) relative = Path.GetFileName(itemSpec);
        var origin = !string.IsNullOrEmpty(metadata("NuGetPackageId")) ? PublishFileOrigin.NuGetPackage
            : metadata("ReferenceSourceTarget") == "ProjectReference" ? PublishFileOrigin.ProjectReference
            : PublishFileOrigin.Application;
        return new PublishFile(relative, origin);
    }

    public static string NormalizeWorkingDirectory(string value)
    {
        var trimmed = value.Trim();
        if (trimmed.Length == 0) return "/app/";
        if (!trimmed.StartsWith('/'))
            throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"ContainerWorkingDirectory '{value}' must be an absolute path such as /app/");
        if (trimmed.Split('/').Any(part => part is ".." or "."))
            throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"ContainerWorkingDirectory '{value}' must not contain '.' or '..'");
        return trimmed.EndsWith('/') ? trimmed : trimmed + "/";
    }

    /// <summary>A ContainerPort item: "8080" with Type metadata, or "8080/udp".</summary>
    public static ContainerPort ParsePort(string itemSpec, string typeMetadata)
    {
        var text = itemSpec.Trim();
        var type = typeMetadata;
        int slash = text.IndexOf('/');
        if (slash >= 0) { type = text[(slash + 1)..]; text = text[..slash]; }
        type = string.IsNullOrWhiteSpace(type) ? "tcp" : type.Trim().ToLowerInvariant();
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535 || type is not ("tcp" or "udp"))
            throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"ContainerPort '{itemSpec}' (Type '{typeMetadata}'): expected a port 1-65535 and Type tcp or udp");
        return new ContainerPort(number, type);
    }

    public static AppCommandInstruction? ParseInstruction(string value) => value.Trim() switch
    {
        "" => null,
        var v when v.Equals("Entrypoint", StringComparison.OrdinalIgnoreCase) => AppCommandInstruction.Entrypoint,
        var v when v.Equals("DefaultArgs", StringComparison.OrdinalIgnoreCase) => AppCommandInstruction.DefaultArgs,
        var v when v.Equals("None", StringComparison.OrdinalIgnoreCase) => AppCommandInstruction.None,
        var v => throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"ContainerAppCommandInstruction '{v}': expected Entrypoint, DefaultArgs or None"),
    };

    public static ContainerLayering ParseLayering(string value) => value.Trim() switch
    {
        "" => ContainerLayering.Dependencies,
        var v when v.Equals("dependencies", StringComparison.OrdinalIgnoreCase) => ContainerLayering.Dependencies,
        var v when v.Equals("single", StringComparison.OrdinalIgnoreCase) => ContainerLayering.Single,
        var v => throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"ContainerLayering '{v}': expected dependencies or single"),
    };

    /// <summary>uid[:gid] in numbers: the image's /etc/passwd is not read, so names cannot be resolved.</summary>
    public static (int, int)? ParseOwner(string value)
    {
        var text = value.Trim();
        if (text.Length == 0) return null;
        var parts = text.Split(':');
        if (parts.Length <= 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            && (parts.Length == 1 || int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            return (uid, parts.Length == 1 ? uid : int.Parse(parts[1], CultureInfo.InvariantCulture));
        throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"ContainerFileOwner '{value}': expected numeric uid or uid:gid, e.g. 1654:1654");
    }

    public static int? ParseMode(string value)
    {
        var text = value.Trim();
        if (text.Length == 0) return null;
        try
        {
            var mode = Convert.ToInt32(text, 8);
            if (mode is >= 0 and <= 0b111_111_111_111) return mode;
        }
        catch (FormatException) { }
        catch (OverflowException) { }
        throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty, $"ContainerFileMode '{value}': expected octal permission bits such as 0644");
    }

    /// <summary>ContainerBuildArg items: NAME with Value metadata, or NAME=VALUE in the item itself; names as ARG accepts them.</summary>
    public static IReadOnlyDictionary<string, string> ParseBuildArgs(IEnumerable<(string ItemSpec, string Value)> items)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (spec, value) in items)
        {
            var (name, text) = value.Length == 0 && spec.IndexOf('=') is > 0 and var eq ? (spec[..eq], spec[(eq + 1)..]) : (spec.Trim(), value);
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(name[0]))
                throw new ContainerBuildException(ContainerDiagnostic.InvalidProperty,
                    $"ContainerBuildArg '{spec}': expected a build argument name (letters, digits, _) with Value metadata, or NAME=VALUE");
            result[name] = text;
        }
        return result;
    }
}
