using Csbuild.Oci.Native;

namespace Csbuild.Oci.Tests.Support;

public static class RootRequirement
{
    /// <summary>These tests create device nodes, chown files and set trusted.* xattrs: they need root, as CI runs them.</summary>
    public static void Ensure()
    {
        if (!Libc.IsRoot) throw new InvalidOperationException("this test needs root (mknod, lchown, trusted.* xattrs); run the suite as root");
    }
}
