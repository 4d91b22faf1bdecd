using Csbuild.Oci.Native;

namespace Csbuild.Solver.Ops;

/// <summary>
/// Copies a directory tree with modes, owners and symlinks (not following them), for seeding a cache mount
/// from a stage (<c>--mount=type=cache,from=…</c>). Device nodes, fifos and sockets are skipped: a cache
/// holds files. Iterative, so deep trees cannot overflow the stack.
/// </summary>
internal static class TreeCopy
{
    public static void Copy(string sourceDirectory, string destinationDirectory)
    {
        var pending = new Stack<(string From, string To)>();
        pending.Push((sourceDirectory, destinationDirectory));
        while (pending.TryPop(out var dir))
        {
            foreach (var from in Directory.EnumerateFileSystemEntries(dir.From))
            {
                var to = Path.Combine(dir.To, Path.GetFileName(from));
                if (Libc.TryStatNoFollow(from) is not { } status) continue;
                if (status.IsSymbolicLink)
                {
                    File.CreateSymbolicLink(to, new FileInfo(from).LinkTarget!);
                }
                else if (status.IsDirectory)
                {
                    Directory.CreateDirectory(to);
                    pending.Push((from, to));
                }
                else if (status.IsRegularFile)
                {
                    File.Copy(from, to);
                }
                else
                {
                    continue;
                }
                Libc.ChangeOwnerNoFollow(to, (int)status.Uid, (int)status.Gid);
                if (!status.IsSymbolicLink) File.SetUnixFileMode(to, (UnixFileMode)status.Permissions);
            }
        }
    }
}
