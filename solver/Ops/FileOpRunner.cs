using Csbuild.Cache;
using Csbuild.Solver.Context;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Snapshots;
using Csbuild.Solver.Sources;

namespace Csbuild.Solver.Ops;

/// <summary>COPY, ADD, WORKDIR's mkdir and heredoc files: written straight into a new diff directory, no container.</summary>
internal sealed class FileOpRunner(CsbuildRoot root, LayerStack layers, CacheKeys keys)
{
    private const uint DownloadedFileMode = 0b110_000_000; // 0600, BuildKit's mode for ADD of a URL

    public string? Run(Vertex vertex, FileOp op, IReadOnlyList<SolvedRef> inputs, CancellationToken ct)
    {
        var baseChain = inputs.Count > 0 && inputs[0] is ChainRef c ? c.TopChainId : null;
        using var snapshot = root.Snapshots.Begin();
        var diff = new DiffWriter(layers.Directories(baseChain), snapshot.FsPath);
        for (int i = 0; i < op.Actions.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            switch (op.Actions[i])
            {
                case CopyAction copy:
                    RunCopy(vertex, i, copy, inputs, diff);
                    break;
                case MkdirAction mkdir:
                {
                    var owner = Owners.Resolve(mkdir.Owner, diff.View);
                    diff.EnsureDirectory(diff.View.Resolve(mkdir.Path, followFinal: true), (uint)mkdir.Mode, owner.Uid, owner.Gid);
                    break;
                }
                case WriteFileAction write:
                    WriteFile(write, diff);
                    break;
                case HttpDownloadAction http:
                    RunDownload(http, diff, ct);
                    break;
                case GitCloneAction git:
                    RunGitClone(git, diff, ct);
                    break;
                default:
                    throw new BuildException($"unsupported file action {op.Actions[i].GetType().Name}");
            }
        }
        return layers.Commit(vertex, baseChain, snapshot, diff.OwnerOverrides);
    }

    private void RunCopy(Vertex vertex, int index, CopyAction copy, IReadOnlyList<SolvedRef> inputs, DiffWriter diff)
    {
        ICopySource source = inputs[copy.SourceInput] switch
        {
            LocalRef local => new DirectoryCopySource(local.Source.Directory, local.Source.ExcludePatterns),
            ChainRef chain => new ChainCopySource(new LayerChainView(layers.Directories(chain.TopChainId))),
            _ => throw new BuildException("unknown copy source"),
        };
        var matches = keys.SelectionOf(vertex, index) ?? CopySelection.Select(source, copy.Sources, copy.Excludes, copy.FollowSymlinks);
        CopyEngine.Copy(diff, source, matches, copy.Dest, copy.DestIsDirectory, new CopyOptions
        {
            Owner = copy.Owner is null ? null : Owners.Resolve(copy.Owner, diff.View),
            Mode = copy.Mode is { } m ? (uint)m : null,
            ModeChange = copy.ModeChange,
            ParentsOf = copy.IncludeParents ? copy.Sources : null,
            TryUnpack = copy.AttemptUnpack ? (match, destination) => TryUnpack(diff, match, destination) : null,
        });
    }

    private bool TryUnpack(DiffWriter diff, CopyMatch match, string destination)
    {
        if (!ArchiveExtraction.IsArchive(match.Root.HostPath)) return false;
        ArchiveExtraction.ExtractInto(diff, match.Root.HostPath, "/" + match.Root.RelativePath, destination, root.TempDirectory);
        return true;
    }

    // The fetches are asynchronous but this runner is not: it already runs on its own pool thread (BuildSolver's Task.Run).
    private void RunDownload(HttpDownloadAction http, DiffWriter diff, CancellationToken ct)
    {
        var file = keys.Remote.DownloadAsync(http, ct).GetAwaiter().GetResult();
        File.SetUnixFileMode(file.Path, (UnixFileMode)DownloadedFileMode);
        if (file.LastModified is { } modified) File.SetLastWriteTimeUtc(file.Path, modified.UtcDateTime);
        var source = new DirectoryCopySource(Path.GetDirectoryName(file.Path)!, []);
        var matches = CopySelection.Select(source, [http.FileName], [], followSymlinks: false);
        CopyEngine.Copy(diff, source, matches, http.Dest, http.DestIsDirectory, new CopyOptions
        {
            Owner = http.Owner is null ? null : Owners.Resolve(http.Owner, diff.View),
            Mode = http.Mode is { } m ? (uint)m : null,
            ModeChange = http.ModeChange,
        });
    }

    private void RunGitClone(GitCloneAction git, DiffWriter diff, CancellationToken ct)
    {
        var commit = keys.Remote.ResolveCommitAsync(git, ct).GetAwaiter().GetResult();
        Directory.CreateDirectory(root.TempDirectory);
        var checkout = StaleFiles.NewPath(root.TempDirectory, "git");
        try
        {
            GitSource.CheckoutAsync(git.Remote, git.Ref, commit, checkout, ct).GetAwaiter().GetResult();
            var subdirectory = CopySelection.CleanSourcePath(git.Subdirectory);
            var source = new DirectoryCopySource(checkout, git.KeepGitDir ? [] : [".git"]);
            if (source.Get(subdirectory) is not { Status.IsDirectory: true })
                throw new BuildException($"subdirectory '{git.Subdirectory}' not found in {HttpDownloader.Redacted(git.Remote)} at {commit}");
            var matches = CopySelection.Select(source, [subdirectory], [], followSymlinks: false);
            CopyEngine.Copy(diff, source, matches, git.Dest, destIsDirectory: true, new CopyOptions
            {
                Owner = git.Owner is null ? null : Owners.Resolve(git.Owner, diff.View),
                Mode = git.Mode is { } m ? (uint)m : null,
                ModeChange = git.ModeChange,
            });
        }
        finally
        {
            StaleFiles.DeleteTree(checkout);
        }
    }

    private static void WriteFile(WriteFileAction write, DiffWriter diff)
    {
        var owner = Owners.Resolve(write.Owner, diff.View);
        var path = diff.View.Resolve(write.Path, followFinal: false);
        var slash = path.LastIndexOf('/');
        diff.EnsureDirectory(slash < 0 ? "" : path[..slash], 0b111_101_101, owner.Uid, owner.Gid);
        var host = diff.HostPath(path);
        DiffWriter.RemoveEntry(host);
        File.WriteAllBytes(host, write.Content);
        diff.SetOwner(path, owner.Uid, owner.Gid);
        DiffWriter.SetMode(host, (uint)write.Mode);
    }
}
