namespace Csbuild.Executor.Snapshotters;

/// <summary>
/// The root file system a step runs in: the lower layers plus a writable layer whose changes end up in the
/// step's upper dir, in overlayfs upper-dir format whichever snapshotter made it.
/// </summary>
internal interface IStepRootfs : IDisposable
{
    /// <summary>The host directory to use as the container's root.</summary>
    string Path { get; }

    /// <summary>Leaves the step's changes in the upper dir and releases the rootfs (Dispose afterwards does nothing).</summary>
    void Complete();
}
