using System.Runtime.InteropServices;

namespace Csbuild.Cache.Gc;

/// <summary>The size of the filesystem holding a path (statvfs), for the default GC budget.</summary>
internal static partial class FileSystemSpace
{
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfs
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong BlocksFree;
        public ulong BlocksAvailable;
        public ulong Files;
        public ulong FilesFree;
        public ulong FilesAvailable;
        public ulong FsId;
        public ulong Flags;
        public ulong NameMax;
        private unsafe fixed int _spare[6];
    }

    [LibraryImport("libc", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statvfs(string path, out StatVfs buffer);

    public static long TotalBytes(string path)
    {
        var existing = Path.GetFullPath(path);
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent) existing = parent;
        if (statvfs(existing, out var s) != 0)
            throw new IOException($"statvfs {existing}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return (long)(s.Blocks * s.FragmentSize);
    }
}
