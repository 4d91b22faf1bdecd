using Csbuild.Executor.Native;
using Csbuild.Oci.Native;

namespace Csbuild.Executor;

/// <summary>
/// Resolves a path as the container would see it, but from the host: symlinks are followed relative to the
/// rootfs, and ".." or absolute link targets never escape it (the same rules as Go's securejoin, which runc uses).
/// An image is untrusted input; a link like /etc/passwd -> /../../host/file must still land inside the rootfs.
/// </summary>
internal static class RootfsPath
{
    private const int MaxSymlinks = 255;

    /// <summary>
    /// Returns the host path inside <paramref name="root"/> that <paramref name="containerPath"/> designates.
    /// Missing components are kept as they are (lexically), so the result can also name a file to create.
    /// </summary>
    public static string Resolve(string root, string containerPath)
    {
        root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var resolved = new List<string>();
        var remaining = containerPath;
        var linksFollowed = 0;

        while (remaining.Length > 0)
        {
            var slash = remaining.IndexOf('/');
            string component;
            if (slash < 0) { component = remaining; remaining = ""; }
            else { component = remaining[..slash]; remaining = remaining[(slash + 1)..]; }

            if (component is "" or ".") continue;
            if (component == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }

            var candidate = Join(root, resolved) + "/" + component;
            var status = Libc.TryStatNoFollow(candidate);
            if (status is not { IsSymbolicLink: true })
            {
                resolved.Add(component);
                continue;
            }

            if (++linksFollowed > MaxSymlinks)
                throw new IOException($"too many levels of symbolic links resolving {containerPath} in the rootfs");
            var target = new FileInfo(candidate).LinkTarget ?? "";
            if (target.StartsWith('/')) resolved.Clear();
            remaining = remaining.Length == 0 ? target : target + "/" + remaining;
        }
        return Join(root, resolved);
    }

    private static string Join(string root, List<string> components) =>
        components.Count == 0 ? root : root + "/" + string.Join('/', components);
}
