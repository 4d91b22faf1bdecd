using Csbuild.Cache;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;
using Csbuild.Solver.Registry;
using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>
/// A .NET runtime base image made on this machine (Docker Hub and MCR are out of reach): the busybox rootfs, the host's
/// dotnet host, hostfxr and shared frameworks under /usr/share/dotnet, and the glibc libraries they link (found with
/// ldd, copied at their own paths). One layer, pushed to the test registry.
/// </summary>
public static class DotnetBaseImage
{
    public const string DotnetRoot = "/usr/share/dotnet";

    public static Task<string> CreateAndPushAsync(RegistryFixture registry, string workDirectory, string repositoryAndTag) =>
        CreateAndPushAsync(registry, workDirectory, repositoryAndTag, ["amd64"]);

    /// <summary>
    /// The same image for several architectures: one manifest per architecture, all on the same rootfs layer (this
    /// machine's binaries: only the amd64 one can run here, the others exist to be selected), under one image index.
    /// With a single architecture, a plain manifest.
    /// </summary>
    public static async Task<string> CreateAndPushAsync(RegistryFixture registry, string workDirectory, string repositoryAndTag, IReadOnlyList<string> architectures)
    {
        var rootfs = Path.Combine(workDirectory, "rootfs");
        BusyboxRootfs.Create(rootfs);
        CopyDotnet(rootfs);
        CopyLinkedLibraries(rootfs);

        using var root = CsbuildRoot.Open(Path.Combine(workDirectory, "store"));
        LayerWriteResult layer;
        using (var blob = root.Content.BeginWrite())
        {
            layer = LayerTarWriter.Write(rootfs, blob, new LayerWriteOptions { ClampTimestamp = DateTimeOffset.UnixEpoch });
            blob.Commit(layer.BlobDigest);
        }
        var manifests = architectures.Select(architecture => StoreManifest(root, layer, architecture)).ToList();
        var image = manifests[0];
        if (architectures.Count > 1)
        {
            var indexBytes = OciJson.Serialize(new ImageIndex { Manifests = manifests });
            image = new Descriptor { MediaType = MediaTypes.OciIndex, Digest = root.Content.Put(indexBytes).ToString(), Size = indexBytes.Length };
        }
        var name = registry.Reference(repositoryAndTag);
        root.Images.Tag(name, image);
        using var client = new RegistryClient(registry.CreateClientOptions());
        await ImagePusher.PushAsync(root, name, ImageReference.Parse(name), client);
        return name;
    }

    private static Descriptor StoreManifest(CsbuildRoot root, LayerWriteResult layer, string architecture)
    {
        var config = new ImageConfig
        {
            Created = DateTimeOffset.UnixEpoch,
            Architecture = architecture,
            Config = new ContainerConfig
            {
                Env =
                [
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "DOTNET_ROOT=" + DotnetRoot,
                    // No ICU in the image, as in Microsoft's runtime-deps images for invariant apps.
                    "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1",
                ],
                Cmd = ["/bin/sh"],
            },
            RootFs = new RootFs { DiffIds = [layer.DiffId.ToString()] },
            History = [new HistoryEntry { Created = DateTimeOffset.UnixEpoch, CreatedBy = "busybox + host dotnet runtime (test base image)" }],
        };
        var configBytes = OciJson.Serialize(config);
        var configDigest = root.Content.Put(configBytes);
        var manifest = new ImageManifest
        {
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = configDigest.ToString(), Size = configBytes.Length },
            Layers = [layer.ToDescriptor()],
        };
        var manifestBytes = OciJson.Serialize(manifest);
        var manifestDigest = root.Content.Put(manifestBytes);
        return new Descriptor
        {
            MediaType = MediaTypes.OciManifest, Digest = manifestDigest.ToString(), Size = manifestBytes.Length,
            Platform = new Platform { Os = "linux", Architecture = architecture },
        };
    }

    private static void CopyDotnet(string rootfs)
    {
        var target = Path.Combine(rootfs, DotnetRoot.TrimStart('/'));
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(DotnetRoot, "dotnet"), Path.Combine(target, "dotnet"));
        CopyTree(Path.Combine(DotnetRoot, "host"), Path.Combine(target, "host"));
        CopyTree(Path.Combine(DotnetRoot, "shared"), Path.Combine(target, "shared"));
        File.CreateSymbolicLink(Path.Combine(rootfs, "usr/bin/dotnet"), DotnetRoot + "/dotnet");
    }

    private static void CopyTree(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, directory)));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)));
    }

    /// <summary>Every library ldd names for the runtime's executables and shared objects, at the path ldd gives (content of the resolved file).</summary>
    private static void CopyLinkedLibraries(string rootfs)
    {
        var objects = new List<string> { Path.Combine(DotnetRoot, "dotnet") };
        objects.AddRange(Directory.EnumerateFiles(Path.Combine(DotnetRoot, "host"), "*.so", SearchOption.AllDirectories));
        objects.AddRange(Directory.EnumerateFiles(Path.Combine(DotnetRoot, "shared"), "*.so", SearchOption.AllDirectories));
        var libraries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in objects)
        {
            var ldd = ProcessRunner.Run("ldd", file);
            foreach (var line in ldd.Stdout.Split('\n'))
            {
                var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
                var path = parts.Length >= 3 && parts[1] == "=>" ? parts[2] : parts.Length >= 1 && parts[0].StartsWith('/') ? parts[0] : null;
                if (path is not null && path.StartsWith('/') && !path.StartsWith(DotnetRoot, StringComparison.Ordinal)) libraries.Add(path);
            }
        }
        if (libraries.Count == 0) throw new InvalidOperationException("ldd found no libraries for the dotnet runtime");
        foreach (var library in libraries)
        {
            var destination = Path.Combine(rootfs, library.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            if (!File.Exists(destination)) File.Copy(Path.GetFullPath(new FileInfo(library).ResolveLinkTarget(true)?.FullName ?? library), destination);
        }
    }
}
