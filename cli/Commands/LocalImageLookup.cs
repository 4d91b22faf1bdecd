using Csbuild.Cache;
using Csbuild.Cache.Images;
using Csbuild.Oci.Model;

namespace Csbuild.Cli.Commands;

/// <summary>An image of the local store as a command found it: by one of its names, or by (a prefix of) its digest.</summary>
internal sealed record LocalImage(string? Name, Digest ManifestDigest, string MediaType, long Size)
{
    public bool IsIndex => MediaType is MediaTypes.OciIndex or MediaTypes.DockerManifestList;

    public Descriptor Descriptor => new() { MediaType = MediaType, Digest = ManifestDigest.ToString(), Size = Size };
}

/// <summary>How inspect, history, tag, rmi and run find an image, the way docker accepts NAME[:TAG], a digest or a short id.</summary>
internal static class LocalImageLookup
{
    /// <summary>Finds an image or throws "No such image" (exit 1) / "invalid reference" (exit 2).</summary>
    public static LocalImage Find(CsbuildRoot root, string nameOrId)
    {
        var byId = FindById(root, nameOrId);
        if (byId is not null) return byId;
        ImageRecord? record;
        try
        {
            record = root.Images.Find(nameOrId);
        }
        catch (FormatException e)
        {
            throw new CliException($"invalid reference format \"{nameOrId}\": {e.Message}");
        }
        return record is null
            ? throw new CliException($"No such image: {nameOrId}", ExitCodes.BuildFailed)
            : new LocalImage(record.Name, record.ManifestDigest, record.MediaType, record.Size);
    }

    /// <summary>All names that point at a digest.</summary>
    public static IReadOnlyList<string> NamesOf(CsbuildRoot root, Digest digest) =>
        root.Images.List().Where(i => i.ManifestDigest == digest).Select(i => i.Name).ToList();

    /// <summary>
    /// <c>sha256:HEX</c>, or a hex prefix of at least 4 characters (docker's short image id) that names exactly one
    /// stored image; null when the text is not an id at all, so it is then looked up as a name.
    /// </summary>
    private static LocalImage? FindById(CsbuildRoot root, string text)
    {
        var hex = text.StartsWith("sha256:", StringComparison.Ordinal) ? text["sha256:".Length..] : text;
        bool looksLikeId = hex.Length >= 4 && hex.Length <= 64 && hex.All(char.IsAsciiHexDigitLower)
            && (text.StartsWith("sha256:", StringComparison.Ordinal) || hex.Length >= 12);
        if (!looksLikeId) return null;
        var matches = root.Images.List().Where(i => i.ManifestDigest.Hex.StartsWith(hex, StringComparison.Ordinal))
            .GroupBy(i => i.ManifestDigest).ToList();
        if (matches.Count > 1)
            throw new CliException($"ambiguous image id '{text}': it is the start of {matches.Count} image digests; give more characters", ExitCodes.BuildFailed);
        if (matches.Count == 0)
            return text.StartsWith("sha256:", StringComparison.Ordinal) ? throw new CliException($"No such image: {text}", ExitCodes.BuildFailed) : null;
        var first = matches[0].First();
        return new LocalImage(matches[0].Count() == 1 ? first.Name : null, first.ManifestDigest, first.MediaType, first.Size);
    }

    /// <summary>The manifest of a single-platform image; an index is refused with a message saying what to do.</summary>
    public static ImageManifest ReadManifest(CsbuildRoot root, LocalImage image, string nameForMessages)
    {
        if (image.IsIndex)
            throw new CliException($"{nameForMessages} is a multi-platform image index; pull or build one platform to use it here", ExitCodes.BuildFailed);
        return ReadOrExplain(() => root.Images.ReadManifest(image.ManifestDigest), image.ManifestDigest);
    }

    public static ImageConfig ReadConfig(CsbuildRoot root, ImageManifest manifest) =>
        ReadOrExplain(() => root.Images.ReadConfig(Digest.Parse(manifest.Config.Digest)), Digest.Parse(manifest.Config.Digest));

    private static T ReadOrExplain<T>(Func<T> read, Digest digest)
    {
        try
        {
            return read();
        }
        catch (FileNotFoundException)
        {
            throw new CliException($"blob {digest} is missing from the content store (was it pruned?); pull or build the image again", ExitCodes.Infrastructure);
        }
    }
}
