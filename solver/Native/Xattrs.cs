using System.Runtime.InteropServices;

namespace Csbuild.Solver.Native;

internal static partial class Xattrs
{
    /// <summary>Whether a directory carries overlayfs's opaque marker (its lower contents are hidden).</summary>
    public static unsafe bool IsOverlayOpaque(string directory)
    {
        byte value = 0;
        var n = LGetXattr(directory, "trusted.overlay.opaque", &value, 1);
        return n == 1 && value == (byte)'y';
    }

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint LGetXattr(string path, string name, byte* value, nuint size);
}
