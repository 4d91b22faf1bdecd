namespace Csbuild.Cache.Images;

/// <summary>
/// Names in the local store are kept in Docker's familiar form with an explicit tag: <c>app:1</c>,
/// <c>alpine:latest</c> for <c>docker.io/library/alpine</c>, <c>localhost:5000/x/y:dev</c>.
/// </summary>
public static class ImageName
{
    public static string Normalize(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new FormatException("image name is empty");
        var n = name.Trim();
        if (n.StartsWith("docker.io/library/", StringComparison.Ordinal)) n = n["docker.io/library/".Length..];
        else if (n.StartsWith("index.docker.io/library/", StringComparison.Ordinal)) n = n["index.docker.io/library/".Length..];
        else if (n.StartsWith("docker.io/", StringComparison.Ordinal)) n = n["docker.io/".Length..];
        if (n.Contains('@')) return Validate(n, name);
        var lastSlash = n.LastIndexOf('/');
        var lastColon = n.LastIndexOf(':');
        if (lastColon <= lastSlash) n += ":latest";
        return Validate(n, name);
    }

    private static string Validate(string normalized, string original)
    {
        foreach (var c in normalized)
        {
            if (char.IsAsciiLetterUpper(c))
                throw new FormatException($"invalid image name '{original}': repository names must be lowercase");
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-' or '/' or ':' or '@' || char.IsAsciiLetterUpper(c)))
                throw new FormatException($"invalid image name '{original}': unexpected character '{c}'");
        }
        return normalized;
    }
}
