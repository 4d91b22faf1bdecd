using Csbuild.Executor.Native;
using Csbuild.Oci.Native;

namespace Csbuild.Executor;

/// <summary>
/// A tmpfs mounted on a host directory, unmounted on dispose. Holds what must never reach a disk: the bundle of
/// a step with secrets (its config.json carries secret environment variables) and the secret files themselves.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private bool mounted;

    private TmpfsMount(string target)
    {
        Target = target;
        mounted = true;
    }

    public string Target { get; }

    /// <param name="target">An existing or new empty directory.</param>
    /// <param name="sizeBytes">Upper bound of the tmpfs' content.</param>
    public static TmpfsMount Mount(string target, long sizeBytes)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException();
        Directory.CreateDirectory(target);
        // Only root (who mounts it) may look inside: mode 0700.
        Libc.Mount("tmpfs", target, "tmpfs", Libc.MsNosuid | Libc.MsNodev, $"mode=0700,size={sizeBytes}");
        return new TmpfsMount(target);
    }

    public void Dispose()
    {
        if (!mounted) return;
        mounted = false;
        Mounts.Unmount(Target);
    }
}
