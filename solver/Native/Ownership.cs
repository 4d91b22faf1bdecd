using System.Runtime.InteropServices;

namespace Csbuild.Solver.Native;

internal static partial class Ownership
{
    /// <summary>Sets owner without following symlinks; false when not permitted (not root), so the caller records it instead.</summary>
    public static bool TryLchown(string path, uint uid, uint gid)
    {
        if (LChown(path, uid, gid) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == 1 /* EPERM */) return false;
        throw new IOException($"cannot change owner of {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChown(string path, uint uid, uint gid);
}
