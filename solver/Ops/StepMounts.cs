using System.Text;
using Csbuild.Cache;
using Csbuild.Executor;
using Csbuild.Oci.Native;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Native;

namespace Csbuild.Solver.Ops;

/// <summary>
/// Turns the <see cref="ExecMount"/>s of one RUN step into container mounts, and undoes everything afterwards:
/// views of other stages or the context (read-only, or with throwaway writes), held cache directories, secret
/// files and SSH agent sockets. Secrets live only on a tmpfs mounted over the step's bundle directory (which also
/// holds config.json, where secret environment variables end up), so their values never touch a disk.
/// </summary>
internal sealed class StepMounts(CsbuildRoot root, LayerStack layers, CacheMounts caches, SolveOptions options, string bundleDir)
    : IAsyncDisposable
{
    /// <summary>Room on the bundle's tmpfs for config.json and the generated /etc files, beside the secrets.</summary>
    private const long BundleTmpfsBaseBytes = 8L << 20;

    private readonly List<IDisposable> _held = [];
    private readonly List<SshAgentProxy> _proxies = [];
    private string? _scratch;
    private TmpfsMount? _bundleTmpfs;

    public List<ContainerMount> Mounts { get; } = [];

    /// <summary>Variables the step gets beside the op's (secret env=, SSH_AUTH_SOCK); never part of a key or the image.</summary>
    public List<string> Env { get; } = [];

    public async Task PrepareAsync(Vertex vertex, ExecOp op, IReadOnlyList<SolvedRef> inputs, CancellationToken ct)
    {
        var secrets = ReadSecrets(vertex, op);
        if (secrets.Count > 0 || op.Mounts.Any(m => m.Type == ExecMountType.Ssh))
        {
            var size = BundleTmpfsBaseBytes + 2 * secrets.Values.Sum(v => (long)v.Length);
            _bundleTmpfs = TmpfsMount.Mount(bundleDir, size);
        }

        string? sshSocket = null;
        for (var i = 0; i < op.Mounts.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var mount = op.Mounts[i];
            switch (mount.Type)
            {
                case ExecMountType.Bind:
                    Mounts.Add(Bind(vertex, mount, inputs, i));
                    break;
                case ExecMountType.Cache:
                    Mounts.Add(await CacheAsync(vertex, mount, inputs, i, ct));
                    break;
                case ExecMountType.Tmpfs:
                    Mounts.Add(ContainerMount.Tmpfs(mount.Target, mount.SizeBytes));
                    break;
                case ExecMountType.Secret when secrets.TryGetValue(i, out var value):
                    AddSecret(mount, value, i);
                    break;
                case ExecMountType.Secret:
                    break; // not given and not required: BuildKit runs the step without it
                case ExecMountType.Ssh:
                    if (AddSsh(vertex, mount, i) && sshSocket is null) sshSocket = mount.Target;
                    break;
            }
        }
        if (sshSocket is not null && !op.Env.Any(e => e.StartsWith("SSH_AUTH_SOCK=", StringComparison.Ordinal)))
            Env.Add("SSH_AUTH_SOCK=" + sshSocket);
    }

    /// <summary>Every secret the step mounts, by mount index; a missing required one fails the step (naming its id only).</summary>
    private Dictionary<int, byte[]> ReadSecrets(Vertex vertex, ExecOp op)
    {
        var values = new Dictionary<int, byte[]>();
        for (var i = 0; i < op.Mounts.Count; i++)
        {
            var mount = op.Mounts[i];
            if (mount.Type != ExecMountType.Secret) continue;
            var id = mount.Id ?? "";
            var value = options.Secrets.TryGetValue(id, out var source) ? source.Read() : null;
            if (value is not null) values[i] = value;
            else if (mount.Required)
                throw new StepFailedException(vertex.Name,
                    $"secret \"{id}\" is required but was not given" + (source is null
                        ? $": pass it with --secret id={id},src=FILE or --secret id={id},env=VARIABLE"
                        : $" ({source} not found)"));
        }
        return values;
    }

    private ContainerMount Bind(Vertex vertex, ExecMount mount, IReadOnlyList<SolvedRef> inputs, int index)
    {
        var view = OpenView(inputs[mount.SourceInput ?? 0], index, writable: !mount.ReadOnly);
        var source = view.Resolve(mount.Source);
        if (Libc.TryStatNoFollow(source) is null)
            throw new StepFailedException(vertex.Name, $"mount source \"{mount.Source}\" for {mount.Target} not found in {vertex.Inputs[mount.SourceInput ?? 0].Name}");
        // A read-only view is bound read-only; a writable one is a throwaway overlay: writes vanish with it.
        return ContainerMount.Bind(source, mount.Target, mount.ReadOnly);
    }

    private async Task<ContainerMount> CacheAsync(Vertex vertex, ExecMount mount, IReadOnlyList<SolvedRef> inputs, int index, CancellationToken ct)
    {
        Action<string>? seed = null;
        if (mount.SourceInput is { } input)
        {
            seed = staging =>
            {
                var view = OpenView(inputs[input], index, writable: false);
                var from = view.Resolve(mount.Source);
                if (Libc.TryStatNoFollow(from) is not { IsDirectory: true })
                    throw new StepFailedException(vertex.Name, $"cache mount source \"{mount.Source}\" is not a directory in {vertex.Inputs[input].Name}");
                TreeCopy.Copy(from, staging);
            };
        }
        var lease = await caches.AcquireAsync(mount, seed, ct);
        _held.Add(lease);
        return ContainerMount.Bind(lease.Path, mount.Target, mount.ReadOnly);
    }

    private void AddSecret(ExecMount mount, byte[] value, int index)
    {
        if (mount.Target.Length > 0)
        {
            var directory = Path.Combine(bundleDir, "secrets");
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var path = Path.Combine(directory, index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using (var file = new FileStream(path, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                   }))
            {
                file.Write(value);
            }
            File.SetUnixFileMode(path, (UnixFileMode)(mount.Mode ?? 0b100_000_000));
            Libc.ChangeOwnerNoFollow(path, (int)(mount.Uid ?? 0), (int)(mount.Gid ?? 0));
            Mounts.Add(ContainerMount.Bind(path, mount.Target, readOnly: true));
        }
        if (mount.Env is { } variable) Env.Add(variable + "=" + Encoding.UTF8.GetString(value));
    }

    private bool AddSsh(Vertex vertex, ExecMount mount, int index)
    {
        var id = mount.Id ?? "default";
        if (!options.SshAgents.TryGetValue(id, out var agent))
        {
            if (mount.Required)
                throw new StepFailedException(vertex.Name, $"no SSH agent \"{id}\" was given: pass one with --ssh {id}=$SSH_AUTH_SOCK");
            return false;
        }
        var proxy = SshAgentProxy.Start(agent, Path.Combine(bundleDir, $"ssh-{index}.sock"),
            mount.Mode ?? 0b110_000_000, mount.Uid ?? 0, mount.Gid ?? 0);
        _proxies.Add(proxy);
        Mounts.Add(ContainerMount.Bind(proxy.Path, mount.Target, readOnly: false));
        return true;
    }

    private MountSourceView OpenView(SolvedRef input, int index, bool writable)
    {
        IReadOnlyList<string> lowers = input switch
        {
            LocalRef local => [local.Source.Directory],
            ChainRef chain => layers.Directories(chain.TopChainId).Reverse().ToList(),
            _ => throw new BuildException($"unknown mount source {input}"),
        };
        _scratch ??= CreateScratch();
        var view = MountSourceView.Open(lowers, Path.Combine(_scratch, $"{index}-{_held.Count}"), writable);
        _held.Add(view);
        return view;
    }

    private string CreateScratch()
    {
        var path = StaleFiles.NewPath(root.TempDirectory, "mounts");
        Directory.CreateDirectory(path);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        List<Exception> errors = [];
        foreach (var proxy in _proxies)
        {
            try { await proxy.DisposeAsync(); }
            catch (Exception e) { errors.Add(e); }
        }
        for (var i = _held.Count - 1; i >= 0; i--)
        {
            try { _held[i].Dispose(); }
            catch (Exception e) { errors.Add(e); }
        }
        try
        {
            // Secret files are removed before their tmpfs goes: nothing of them is left even if the unmount is lazy.
            var secrets = Path.Combine(bundleDir, "secrets");
            if (_bundleTmpfs is not null && Directory.Exists(secrets)) Directory.Delete(secrets, recursive: true);
            _bundleTmpfs?.Dispose();
        }
        catch (Exception e) { errors.Add(e); }
        // Never delete through a mount that failed to come off: that would delete inside the layers.
        if (_scratch is not null && !MountTable.HasMountUnder(_scratch)) StaleFiles.DeleteTree(_scratch);
        if (errors.Count > 0) throw new BuildException($"cleaning up the step's mounts failed: {errors[0].Message}", errors[0]);
    }
}
