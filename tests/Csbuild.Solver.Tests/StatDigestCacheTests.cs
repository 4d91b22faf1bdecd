using Csbuild.Cache;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;
using Csbuild.Oci.Native;
using Csbuild.Solver.Context;
using Csbuild.TestSupport;

namespace Csbuild.Solver.Tests;

/// <summary>The stat fast path of context checksums, on a real root and real files.</summary>
public sealed class StatDigestCacheTests
{
    // A stored digest no file has: returned only when the cache answered without reading the file.
    private static readonly Digest Planted = Digest.Of("not the file's content");

    private static FileDigestRecord Plant(string file)
    {
        var s = Libc.StatNoFollow(file);
        return new FileDigestRecord(file, s.Size, s.MtimeSeconds * 1_000_000_000 + s.MtimeNanoseconds, (long)s.Inode, s.Mode, Planted);
    }

    [Fact]
    public void AFileUnchangedSinceItWasHashed_KeepsItsStoredDigest_OnlyUnderAPreparedDirectory()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var context = dir.Combine("ctx");
        var sibling = dir.Combine("ctx2"); // shares the context's name as a prefix: not under it
        Directory.CreateDirectory(Path.Combine(context, "sub"));
        Directory.CreateDirectory(sibling);
        var inside = Path.Combine(context, "sub", "a.txt");
        var outside = Path.Combine(sibling, "b.txt");
        File.WriteAllText(inside, "inside");
        File.WriteAllText(outside, "outside");
        root.Database.SaveFileDigests([Plant(inside), Plant(outside)]);

        var cache = new StatDigestCache(root.Database);
        cache.Prepare(context);
        Assert.Equal(Planted, cache.GetOrCompute(inside, Libc.StatNoFollow(inside)));
        Assert.Equal(SelectionChecksum.FileDigest(outside), cache.GetOrCompute(outside, Libc.StatNoFollow(outside)));
    }

    [Fact]
    public void AChangedFile_IsHashedAgain_AndTheNewDigestIsSavedForTheNextBuild()
    {
        using var dir = new TempDirectory();
        using var root = CsbuildRoot.Open(dir.Combine("root"));
        var context = dir.Combine("ctx");
        Directory.CreateDirectory(context);
        var file = Path.Combine(context, "a.txt");
        File.WriteAllText(file, "one");
        root.Database.SaveFileDigests([Plant(file)]);
        File.WriteAllText(file, "two, longer"); // size and mtime differ from the stored record

        var first = new StatDigestCache(root.Database);
        first.Prepare(context);
        var digest = first.GetOrCompute(file, Libc.StatNoFollow(file));
        Assert.Equal(SelectionChecksum.FileDigest(file), digest);
        first.Save();

        var next = new StatDigestCache(root.Database);
        next.Prepare(file); // a selection of the file alone reads its own record
        Assert.Equal(digest, next.GetOrCompute(file, Libc.StatNoFollow(file)));
    }
}
