using Csbuild.Cache;
using Csbuild.Solver.Context;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Snapshots;

namespace Csbuild.Solver.Ops;

/// <summary>COPY, ADD, WORKDIR's mkdir and heredoc files: written straight into a new diff directory, no container.</summary>
internal sealed class FileOpRunner(CsbuildRoot root, LayerStack layers, CacheKeys keys)
{
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
                default:
                    throw new BuildException($"unsupported file action {op.Actions[i].GetType().Name}");
            }
        }
        return layers.Commit(baseChain, snapshot, diff.OwnerOverrides);
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
        (uint, uint)? owner = copy.Owner is null ? null : Owners.Resolve(copy.Owner, diff.View);
        CopyEngine.Copy(diff, source, matches, copy.Dest, copy.DestIsDirectory, owner, copy.Mode is { } m ? (uint)m : null);
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
