namespace Csbuild.Oci.Layers;

/// <summary>
/// The two whiteout encodings. OCI layer tars mark a deletion with an empty file <c>.wh.NAME</c> and an opaque
/// directory (lower contents hidden) with <c>DIR/.wh..wh..opq</c>. An overlayfs upper dir marks a deletion with a
/// 0:0 character device named NAME and an opaque directory with the xattr <c>trusted.overlay.opaque=y</c>
/// (<c>user.overlay.opaque</c> for unprivileged "userxattr" mounts).
/// </summary>
public static class Whiteouts
{
    public const string Prefix = ".wh.";
    public const string OpaqueMarker = ".wh..wh..opq";
    public const string OverlayOpaqueXattr = "trusted.overlay.opaque";
    public const string UserOverlayOpaqueXattr = "user.overlay.opaque";

    internal static ReadOnlySpan<byte> TrustedOverlayPrefix => "trusted.overlay."u8;
    internal static ReadOnlySpan<byte> UserOverlayPrefix => "user.overlay."u8;
    internal static ReadOnlySpan<byte> OverlayOpaqueXattrBytes => "trusted.overlay.opaque"u8;
    internal static ReadOnlySpan<byte> UserOverlayOpaqueXattrBytes => "user.overlay.opaque"u8;

    /// <summary>True for <c>.wh.NAME</c> (not the opaque marker); <paramref name="deletedName"/> is NAME.</summary>
    public static bool IsWhiteoutName(string baseName, out string deletedName)
    {
        deletedName = "";
        if (!baseName.StartsWith(Prefix, StringComparison.Ordinal) || baseName == OpaqueMarker) return false;
        deletedName = baseName[Prefix.Length..];
        return true;
    }
}
