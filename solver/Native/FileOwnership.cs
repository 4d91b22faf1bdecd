using Csbuild.Oci.Native;

namespace Csbuild.Solver.Native;

internal static class FileOwnership
{
    /// <summary>Sets owner without following symlinks; false when not permitted (not root), so the caller records it instead.</summary>
    public static bool TryLchown(string path, uint uid, uint gid)
    {
        if (Libc.lchown(path, uid, gid) == 0) return true;
        var errno = Libc.LastErrno;
        if (errno == Errno.EPERM) return false;
        throw Libc.Error(errno, "lchown", path);
    }

    /// <summary>Whether a directory carries overlayfs's opaque marker (its lower contents are hidden).</summary>
    public static bool IsOverlayOpaque(string directory)
    {
        Span<byte> value = stackalloc byte[8];
        return Libc.GetXattr(directory, "trusted.overlay.opaque\0"u8, value) == 1 && value[0] == (byte)'y';
    }
}
