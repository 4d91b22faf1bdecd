using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Csbuild.Oci.Model;

namespace Csbuild.Oci.Registry;

/// <summary>
/// An image reference as Docker understands it: <c>[registry/]repository[:tag][@digest]</c>.
/// Parsing normalises the familiar short forms: <c>alpine</c> is <c>docker.io/library/alpine:latest</c>.
/// </summary>
public sealed partial record ImageReference
{
    public const string DockerHubRegistry = "docker.io";
    public const string DefaultTag = "latest";
    private const int MaxNameLength = 255;

    private ImageReference(string registry, string repository, string? tag, Digest? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>Registry host with optional port, e.g. <c>docker.io</c> or <c>127.0.0.1:5000</c>.</summary>
    public string Registry { get; }

    /// <summary>Repository path inside the registry, e.g. <c>library/alpine</c>.</summary>
    public string Repository { get; }

    /// <summary>The tag; <see cref="DefaultTag"/> when neither tag nor digest was given, null when only a digest was.</summary>
    public string? Tag { get; }

    public Digest? Digest { get; }

    public RepositoryName Name => new(Registry, Repository);

    /// <summary>What the registry API addresses: the digest when known (it pins the content), else the tag.</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag ?? DefaultTag;

    /// <summary>Fully qualified form: <c>docker.io/library/alpine:latest</c>.</summary>
    public string Canonical => Name + Suffix;

    /// <summary>The short form Docker prints: <c>alpine:latest</c>, <c>user/app:1</c>, <c>host:5000/app:1</c>.</summary>
    public string Familiar => Name.Familiar + Suffix;

    private string Suffix => (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    public ImageReference WithTag(string tag)
    {
        if (!TagPattern().IsMatch(tag)) throw new FormatException($"invalid tag '{tag}': expected up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'");
        return new ImageReference(Registry, Repository, tag, null);
    }

    /// <summary>Pins the reference to a digest, keeping the tag for display (<c>name:tag@digest</c>).</summary>
    public ImageReference WithDigest(Digest digest) => new(Registry, Repository, Tag, digest);

    /// <summary>The same repository, tag and digest on another registry host (a pull mirror).</summary>
    internal ImageReference OnRegistry(string registry) => new(registry, Repository, Tag, Digest);

    public override string ToString() => Canonical;

    public static ImageReference Parse(string reference) =>
        TryParse(reference, out var result, out var error) ? result : throw new FormatException($"invalid image reference '{reference}': {error}");

    public static bool TryParse(string? reference, [NotNullWhen(true)] out ImageReference? result) => TryParse(reference, out result, out _);

    public static bool TryParse(string? reference, [NotNullWhen(true)] out ImageReference? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (string.IsNullOrWhiteSpace(reference)) { error = "reference is empty"; return false; }
        if (reference.Trim() != reference) { error = "reference has leading or trailing whitespace"; return false; }
        if (AnonymousIdPattern().IsMatch(reference)) { error = "a 64-character hexadecimal string is an image ID, not a repository name"; return false; }

        string remainder = reference;
        Digest? digest = null;
        int at = remainder.IndexOf('@');
        if (at >= 0)
        {
            var digestText = remainder[(at + 1)..];
            if (!Model.Digest.TryParse(digestText, out var parsed)) { error = $"invalid digest '{digestText}': expected sha256:<64 lowercase hex digits> or sha512:<128>"; return false; }
            digest = parsed;
            remainder = remainder[..at];
        }

        string? tag = null;
        int lastSlash = remainder.LastIndexOf('/');
        int colon = remainder.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = remainder[(colon + 1)..];
            remainder = remainder[..colon];
            if (!TagPattern().IsMatch(tag)) { error = $"invalid tag '{tag}': expected up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'"; return false; }
        }

        if (!TrySplitRegistry(remainder, out var registry, out var repository, out error)) return false;
        if (registry.Length + 1 + repository.Length > MaxNameLength) { error = $"repository name is longer than {MaxNameLength} characters"; return false; }

        result = new ImageReference(registry, repository, tag ?? (digest is null ? DefaultTag : null), digest);
        return true;
    }

    /// <summary>Splits <c>host/path</c> the way Docker does: the first component is a registry only if it looks like a host.</summary>
    internal static bool TrySplitRegistry(string name, out string registry, out string repository, [NotNullWhen(false)] out string? error)
    {
        registry = DockerHubRegistry;
        repository = name;
        error = null;
        if (name.Length == 0) { error = "repository name is empty"; return false; }

        int slash = name.IndexOf('/');
        if (slash >= 0)
        {
            var first = name[..slash];
            bool looksLikeHost = first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsAsciiLetterUpper);
            if (looksLikeHost)
            {
                if (!RegistryPattern().IsMatch(first)) { error = $"invalid registry host '{first}'"; return false; }
                registry = first == "index.docker.io" ? DockerHubRegistry : first;
                repository = name[(slash + 1)..];
            }
        }

        if (repository.Length == 0) { error = "repository name is empty"; return false; }
        if (repository.Any(char.IsAsciiLetterUpper)) { error = $"repository name '{repository}' must be lowercase"; return false; }
        foreach (var component in repository.Split('/'))
        {
            if (!PathComponentPattern().IsMatch(component))
            {
                error = component.Length == 0
                    ? $"repository name '{repository}' has an empty path component"
                    : $"invalid repository path component '{component}': use lowercase letters and digits separated by '.', '_', '__' or '-'";
                return false;
            }
        }
        if (registry == DockerHubRegistry && !repository.Contains('/')) repository = "library/" + repository;
        return true;
    }

    [GeneratedRegex("^[a-f0-9]{64}$")]
    private static partial Regex AnonymousIdPattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    internal static partial Regex TagPattern();

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex PathComponentPattern();

    // A DNS name (or IPv4) or a bracketed IPv6 address, with an optional port.
    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$")]
    private static partial Regex RegistryPattern();
}
