namespace Csbuild.Executor.Snapshotters;

/// <summary>Materializes the merged view of read-only layers as a plain directory tree (what overlayfs would show).</summary>
internal static class MergedTreeCopy
{
    /// <param name="lowerDirsTopFirst">The layers, top-most first; may be empty.</param>
    /// <param name="destination">An existing, empty directory; it receives the root's metadata.</param>
    /// <param name="identity">Records every copied directory when given (see <see cref="DirectoryIdentity"/>).</param>
    public static void Copy(IReadOnlyList<string> lowerDirsTopFirst, string destination, DirectoryIdentity? identity, CancellationToken ct = default)
    {
        var root = LowerStack.Root(lowerDirsTopFirst);
        var copier = new NodeCopier();
        CopyDirectory(root, destination, "", copier, identity, ct);
        if (root.Top is { } top) copier.ApplyMetadata(top, Oci.Native.Libc.StatNoFollow(top), destination);
        else File.SetUnixFileMode(destination, (UnixFileMode)0x1ED); // 0755, as an empty image's root
        identity?.Record("", destination);
    }

    private static void CopyDirectory(LowerStack stack, string destination, string relativePath, NodeCopier copier,
        DirectoryIdentity? identity, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        foreach (var name in stack.Names())
        {
            if (stack.Find(name) is not { } entry) continue;
            var target = Path.Combine(destination, name);
            var childPath = relativePath.Length == 0 ? name : relativePath + "/" + name;
            if (entry.Directory is { } childStack)
            {
                NodeCopier.CreateDirectory(target);
                CopyDirectory(childStack, target, childPath, copier, identity, ct);
                copier.ApplyMetadata(entry.HostPath, entry.Status, target);
                identity?.Record(childPath, target);
            }
            else
            {
                copier.CopyNode(entry.HostPath, entry.Status, target);
            }
        }
    }
}
