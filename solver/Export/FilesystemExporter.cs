using Csbuild.Cache;
using Csbuild.Oci.Layers;
using Csbuild.Oci.Native;
using Csbuild.Solver.Ops;
using Csbuild.Solver.Snapshots;

namespace Csbuild.Solver.Export;

/// <summary>
/// The final filesystem of a build, as <c>-o type=local</c> and <c>-o type=tar</c> write it: the layers merged with
/// their whiteouts applied (no <c>.wh.*</c> files, no overlay markers), owners, modes, times, hardlinks and
/// xattrs kept. Needs no mount: it reads the layer snapshots through <see cref="LayerChainView"/>.
/// </summary>
public sealed class FilesystemExporter(CsbuildRoot root, SolveOptions options)
{
    /// <summary>Writes the merged tree into <paramref name="destination"/> (created if missing; existing entries are replaced).</summary>
    public void ExportDirectory(SolvedRef output, string destination, CancellationToken ct)
    {
        var view = ViewOf(output);
        Directory.CreateDirectory(destination);
        new TreeCopier(view, Path.GetFullPath(destination), ct).CopyChildren("");
    }

    /// <summary>
    /// Writes the merged tree as an uncompressed tar into <paramref name="destination"/> (left open). The tree is first
    /// materialized in the root's temp directory, so the layer tar writer (entry order, PAX records, hardlinks, xattrs,
    /// SOURCE_DATE_EPOCH clamping) produces it exactly as it produces layers.
    /// </summary>
    public void ExportTar(SolvedRef output, Stream destination, CancellationToken ct)
    {
        var staging = StaleFiles.NewPath(root.TempDirectory, "export-tar");
        try
        {
            ExportDirectory(output, staging, ct);
            LayerTarWriter.Write(staging, destination, new LayerWriteOptions
            {
                Compression = Oci.Compression.LayerCompression.None,
                ClampTimestamp = options.SourceDateEpoch,
            });
        }
        finally
        {
            if (Directory.Exists(staging)) StaleFiles.DeleteTree(staging);
        }
    }

    private LayerChainView ViewOf(SolvedRef output) => output switch
    {
        ChainRef chain => new LayerChainView(Ops.ImageChains.UnpackedDirectories(root, chain.TopChainId)),
        LocalRef local => new LayerChainView([local.Source.Directory]),
        _ => throw new BuildException("the build result is not a filesystem"),
    };

    private sealed class TreeCopier(LayerChainView view, string destinationRoot, CancellationToken ct)
    {
        private readonly Dictionary<(uint, uint, ulong), string> _hardlinks = [];
        private readonly bool _privileged = Libc.IsRoot;

        public void CopyChildren(string relative)
        {
            foreach (var (name, host) in view.List(relative))
            {
                ct.ThrowIfCancellationRequested();
                var childRelative = relative.Length == 0 ? name : relative + "/" + name;
                CopyEntry(childRelative, host);
            }
        }

        private void CopyEntry(string relative, string host)
        {
            var status = Libc.StatNoFollow(host);
            var target = Path.Combine(destinationRoot, relative);
            var existing = Libc.TryStatNoFollow(target);
            if (existing is { } e && !(e.IsDirectory && status.IsDirectory))
            {
                if (e.IsDirectory) Directory.Delete(target, recursive: true);
                else File.Delete(target);
            }

            if (status.IsDirectory)
            {
                Directory.CreateDirectory(target);
                CopyChildren(relative);
            }
            else if (status.IsRegularFile)
            {
                var inode = (status.DeviceMajor, status.DeviceMinor, status.Inode);
                if (status.LinkCount > 1 && _hardlinks.TryGetValue(inode, out var first))
                {
                    Libc.CreateHardLink(first, target);
                    return; // metadata is the first link's
                }
                File.Copy(host, target);
                if (status.LinkCount > 1) _hardlinks[inode] = target;
            }
            else if (status.IsSymbolicLink)
            {
                File.CreateSymbolicLink(target, new FileInfo(host).LinkTarget
                    ?? throw new IOException($"cannot read symbolic link {host}"));
            }
            else if (status.IsFifo || status.IsCharacterDevice || status.IsBlockDevice)
            {
                if (!_privileged && !status.IsFifo)
                    throw new UnauthorizedAccessException($"/{relative} is a device node; exporting it needs root");
                Libc.CreateNode(target, status.Mode, status.RdevMajor, status.RdevMinor);
            }
            else
            {
                return; // sockets are not files one can copy; tar exports skip them too
            }
            ApplyMetadata(host, target, status);
        }

        private void ApplyMetadata(string host, string target, FileStatus status)
        {
            if (_privileged) Libc.ChangeOwnerNoFollow(target, (int)status.Uid, (int)status.Gid);
            if (!status.IsSymbolicLink) File.SetUnixFileMode(target, (UnixFileMode)status.Permissions);
            foreach (var name in Libc.ListXattrNames(host))
            {
                // overlayfs keeps its own bookkeeping (opaque, redirect, origin) in these; it is not part of the files.
                if (name.StartsWith("trusted.overlay.", StringComparison.Ordinal) || name.StartsWith("user.overlay.", StringComparison.Ordinal)) continue;
                if (Libc.GetXattr(host, name) is { } value) Libc.TrySetXattr(target, System.Text.Encoding.UTF8.GetBytes(name), value);
            }
            Libc.SetTimesNoFollow(target, status.MtimeSeconds, status.MtimeNanoseconds);
        }
    }
}
