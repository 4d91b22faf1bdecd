namespace Csbuild.Cache.Integrity;

/// <summary>The kinds of damage <see cref="StoreChecker"/> finds in a root.</summary>
public enum StoreProblemKind
{
    /// <summary>A blob whose content does not hash to its name.</summary>
    CorruptBlob,
    /// <summary>A layer row naming a blob that is not in the content store.</summary>
    MissingLayerBlob,
    /// <summary>A layer row naming a snapshot whose directory is gone.</summary>
    MissingSnapshot,
    /// <summary>A layer row whose parent layer row is gone.</summary>
    MissingParentLayer,
    /// <summary>A layer row with neither a blob nor a snapshot: nothing can rebuild it.</summary>
    EmptyLayer,
    /// <summary>A cache record pointing at a layer chain that is not in the metadata.</summary>
    OrphanRecord,
    /// <summary>A tagged image whose manifest, index, config or layer blobs are missing, corrupt or unreadable.</summary>
    BrokenImage,
    /// <summary>A compression-conversion row whose converted blob is gone.</summary>
    StaleConversion,
}

/// <summary>
/// One problem, printed as one line. <see cref="Repair"/> tells what <c>--repair</c> did about it (null: nothing,
/// either because it was not asked to or because nothing safe can be done).
/// </summary>
public sealed record StoreProblem(StoreProblemKind Kind, string Subject, string Detail, string? Repair = null)
{
    public bool Repaired => Repair is not null;

    public override string ToString()
    {
        var kind = Kind switch
        {
            StoreProblemKind.CorruptBlob => "corrupt blob",
            StoreProblemKind.MissingLayerBlob => "missing layer blob",
            StoreProblemKind.MissingSnapshot => "missing snapshot",
            StoreProblemKind.MissingParentLayer => "missing parent layer",
            StoreProblemKind.EmptyLayer => "empty layer",
            StoreProblemKind.OrphanRecord => "orphan cache record",
            StoreProblemKind.BrokenImage => "broken image",
            StoreProblemKind.StaleConversion => "stale conversion",
            _ => Kind.ToString(),
        };
        return $"{kind} {Subject}: {Detail}" + (Repair is null ? "" : $" (repaired: {Repair})");
    }
}

/// <summary>What a check covered and found; <see cref="Remaining"/> counts the problems no repair fixed.</summary>
public sealed record StoreCheckReport(
    IReadOnlyList<StoreProblem> Problems, int Blobs, long BlobBytes, int Layers, int Records, int Images)
{
    public int Remaining => Problems.Count(p => !p.Repaired);

    public string Summary =>
        $"checked {Blobs} blobs ({BlobBytes} bytes), {Layers} layers, {Records} cache records, {Images} images: " +
        $"{Problems.Count} problems, {Problems.Count(p => p.Repaired)} repaired";
}
