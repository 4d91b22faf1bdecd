namespace Csbuild.Oci.Registry;

/// <summary>A repository on a registry, e.g. <c>docker.io</c> + <c>library/alpine</c>: what blobs and tags belong to.</summary>
public sealed record RepositoryName
{
    public RepositoryName(string registry, string repository)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        ArgumentException.ThrowIfNullOrEmpty(repository);
        Registry = registry;
        Repository = repository;
    }

    public string Registry { get; }
    public string Repository { get; }

    /// <summary>Short form without <c>docker.io/</c> and <c>library/</c>, as Docker prints it.</summary>
    public string Familiar
    {
        get
        {
            if (Registry != ImageReference.DockerHubRegistry) return ToString();
            return Repository.StartsWith("library/", StringComparison.Ordinal) && Repository.IndexOf('/', 8) < 0 ? Repository[8..] : Repository;
        }
    }

    /// <summary>Parses <c>[registry/]repository</c> with Docker's normalisation; tags and digests are rejected.</summary>
    public static RepositoryName Parse(string name)
    {
        if (!ImageReference.TrySplitRegistry(name, out var registry, out var repository, out var error))
            throw new FormatException($"invalid repository name '{name}': {error}");
        return new RepositoryName(registry, repository);
    }

    public override string ToString() => Registry + "/" + Repository;
}
