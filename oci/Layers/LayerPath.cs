namespace Csbuild.Oci.Layers;

/// <summary>Turns tar entry names into clean relative paths that cannot leave the extraction root.</summary>
internal static class LayerPath
{
    /// <summary>
    /// Lexically cleans <paramref name="name"/>: leading slashes and "./" go (absolute names become relative), empty
    /// and "." components vanish, ".." removes the previous component. Returns "" for the root. A ".." that would
    /// climb above the root is refused. Paths are resolved lexically because extraction never follows symlinks.
    /// </summary>
    public static string Clean(string name, string entryNameForErrors)
    {
        if (IsAlreadyClean(name)) return name.EndsWith('/') ? name[..^1] : name;
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0)
                    throw new InvalidDataException($"layer entry '{entryNameForErrors}' escapes the extraction root with '..'");
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>The common case, checked without allocating: no leading slash and no empty, "." or ".." component.</summary>
    private static bool IsAlreadyClean(string name)
    {
        int start = 0;
        int end = name.EndsWith('/') ? name.Length - 1 : name.Length;
        if (end <= 0) return false;
        while (start <= end)
        {
            int slash = name.IndexOf('/', start, end - start);
            int stop = slash < 0 ? end : slash;
            int length = stop - start;
            if (length == 0) return false;
            if (name[start] == '.' && (length == 1 || (length == 2 && name[start + 1] == '.'))) return false;
            if (slash < 0) return true;
            start = slash + 1;
        }
        return false;
    }

    /// <summary>The last component of a clean relative path.</summary>
    public static string BaseName(string cleanPath)
    {
        int slash = cleanPath.LastIndexOf('/');
        return slash < 0 ? cleanPath : cleanPath[(slash + 1)..];
    }

    /// <summary>The parent of a clean relative path ("" for a top-level name).</summary>
    public static string Parent(string cleanPath)
    {
        int slash = cleanPath.LastIndexOf('/');
        return slash < 0 ? "" : cleanPath[..slash];
    }
}
