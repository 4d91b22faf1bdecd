using Csbuild.Oci.Model;

namespace Csbuild.Solver.Registry;

/// <summary>What happened to one blob (config or layer) during a pull or push.</summary>
public enum BlobTransferState
{
    /// <summary>Bytes are moving; <see cref="BlobTransfer.Transferred"/> counts them.</summary>
    Transferring,
    /// <summary>Nothing to move: the destination (local store or registry repository) already had it.</summary>
    AlreadyExists,
    /// <summary>The registry linked it from another repository without an upload.</summary>
    Mounted,
    /// <summary>Moved and verified.</summary>
    Completed,
}

/// <summary>A progress report for one blob of a pull or push, as <c>docker pull</c>/<c>push</c> show per layer.</summary>
public sealed record BlobTransfer(Digest Digest, string MediaType, long Size, long Transferred, BlobTransferState State)
{
    /// <summary>The 12-hex-digit short id Docker prints for a layer.</summary>
    public string ShortId => Digest.Hex[..Math.Min(12, Digest.Hex.Length)];
}
