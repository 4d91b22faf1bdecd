using Csbuild.Oci.Model;

namespace Csbuild.Oci.Layout;

/// <summary>Where archive writers read blobs from (the local content store, in practice).</summary>
public interface IBlobSource
{
    /// <summary>Opens a blob for reading; throws <see cref="FileNotFoundException"/> when it is not there.</summary>
    Stream OpenRead(Digest digest);

    bool Exists(Digest digest);
}

/// <summary>A blob source that archive readers can also store into.</summary>
public interface IBlobStore : IBlobSource
{
    /// <summary>
    /// Copies <paramref name="content"/> into the store and returns its sha256 digest; when <paramref name="expected"/>
    /// is given a mismatch throws <see cref="InvalidDataException"/> and nothing is stored.
    /// </summary>
    Digest Store(Stream content, Digest? expected);
}
