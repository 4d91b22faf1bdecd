namespace Csbuild.Executor;

/// <summary>
/// An extra mount of a step, as an OCI runtime-spec mount: <c>bind</c> (Source is a host path, a file or a
/// directory) or <c>tmpfs</c> (Source is "tmpfs"). Options are the spec's mount options ("ro", "size=64m", …);
/// a bind always gets "rbind" and "rprivate" added. Destination is an absolute path in the container; its
/// mount point is created inside the rootfs (never through a symlink out of it) and removed afterwards when
/// the step did not have it before, so no mount point ends up in the layer.
/// </summary>
public sealed record ContainerMount(string Source, string Destination, string Type, IReadOnlyList<string> Options)
{
    public static ContainerMount Bind(string hostPath, string destination, bool readOnly) =>
        new(hostPath, destination, "bind", readOnly ? ["ro"] : ["rw"]);

    public static ContainerMount Tmpfs(string destination, long? sizeBytes) =>
        new("tmpfs", destination, "tmpfs",
            sizeBytes is { } size ? ["nosuid", "nodev", "size=" + size] : ["nosuid", "nodev"]);

    public bool IsBind => Type == "bind";
}
