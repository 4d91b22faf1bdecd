using Csbuild.Executor.Snapshotters;

namespace Csbuild.Executor;

/// <summary>
/// A directory to bind into a step: the merged view of a layer chain (or any stack of directories), read-only,
/// or writable with the writes going to a throwaway upper dir (RUN --mount=type=bind,rw). Paths inside it are
/// resolved with the container's rules, so a symlink in a layer cannot point a bind source out of the view.
/// Dispose unmounts; the caller removes the scratch directory afterwards.
/// </summary>
public sealed class MountSourceView : IDisposable
{
    private readonly OverlayMount? overlay;

    private MountSourceView(string root, OverlayMount? overlay)
    {
        Root = root;
        this.overlay = overlay;
    }

    /// <summary>The host directory showing the merged content.</summary>
    public string Root { get; }

    /// <param name="lowerDirs">The content, top-most directory first; may be empty (an empty directory).</param>
    /// <param name="scratchDirectory">A directory private to this view (created) for the mount point and upper dir.</param>
    /// <param name="writable">Whether the step may write; its writes are discarded with the scratch directory.</param>
    public static MountSourceView Open(IReadOnlyList<string> lowerDirs, string scratchDirectory, bool writable)
    {
        Directory.CreateDirectory(scratchDirectory);
        var merged = Path.Combine(scratchDirectory, "merged");
        if ((writable || lowerDirs.Count > 1) && SnapshotterSelection.Choose(null, scratchDirectory) == Snapshotter.Native)
        {
            // No overlayfs here: a private copy of the merged view (writes to it are discarded with the scratch dir).
            Directory.CreateDirectory(merged);
            MergedTreeCopy.Copy(lowerDirs, merged, identity: null);
            return new MountSourceView(merged, null);
        }
        if (writable)
        {
            var upper = Path.Combine(scratchDirectory, "upper");
            var work = Path.Combine(scratchDirectory, "work");
            Directory.CreateDirectory(upper);
            Directory.CreateDirectory(work);
            return new MountSourceView(merged,
                OverlayMount.Mount(lowerDirs, upper, work, merged, Path.Combine(scratchDirectory, "empty")));
        }
        switch (lowerDirs.Count)
        {
            case 0:
                // The runtime binds it read-only; nothing writes here.
                Directory.CreateDirectory(merged);
                return new MountSourceView(merged, null);
            case 1:
                // One directory needs no overlay: the runtime's read-only bind of it suffices.
                return new MountSourceView(Path.TrimEndingDirectorySeparator(Path.GetFullPath(lowerDirs[0])), null);
            default:
                return new MountSourceView(merged, OverlayMount.MountReadOnly(lowerDirs, merged));
        }
    }

    /// <summary>The host path of <paramref name="path"/> inside the view, following symlinks without leaving it.</summary>
    public string Resolve(string path) => RootfsPath.Resolve(Root, path);

    public void Dispose() => overlay?.Dispose();
}
