using Csbuild.Cache.Content;
using Csbuild.Cache.Metadata;
using Csbuild.Oci.Model;

namespace Csbuild.Cache.Images;

public sealed record ImageRecord(string Name, Digest ManifestDigest, string MediaType, long Size, DateTimeOffset Created);

/// <summary>
/// Named images of the root. The SQLite table is the truth; <c>index.json</c> is rewritten from it after each
/// change (atomically, under a file lock) so the root stays a valid OCI image layout for skopeo and umoci,
/// with each name in the <c>org.opencontainers.image.ref.name</c> annotation.
/// </summary>
public sealed class ImageStore(string rootPath, CacheDatabase database, ContentStore content)
{
    private string IndexPath => Path.Combine(rootPath, "index.json");

    public ContentStore Content => content;

    public void EnsureLayout()
    {
        var layoutPath = Path.Combine(rootPath, "oci-layout");
        if (!File.Exists(layoutPath)) AtomicFile.Write(layoutPath, OciJson.Serialize(new OciLayout()));
        if (!File.Exists(IndexPath)) RewriteIndex();
    }

    public ImageRecord? Find(string name)
    {
        var normalized = ImageName.Normalize(name);
        return database.Query("SELECT name, manifest_digest, media_type, size, created_at FROM images WHERE name=$n", Read, ("$n", normalized))
            .FirstOrDefault();
    }

    public IReadOnlyList<ImageRecord> List() =>
        database.Query("SELECT name, manifest_digest, media_type, size, created_at FROM images ORDER BY name", Read);

    public void Tag(string name, Descriptor manifest)
    {
        var normalized = ImageName.Normalize(name);
        database.Execute("""
            INSERT INTO images(name, manifest_digest, media_type, size, created_at) VALUES($n, $d, $m, $s, $t)
            ON CONFLICT(name) DO UPDATE SET manifest_digest=excluded.manifest_digest, media_type=excluded.media_type,
              size=excluded.size, created_at=excluded.created_at
            """, ("$n", normalized), ("$d", manifest.Digest), ("$m", manifest.MediaType), ("$s", manifest.Size),
            ("$t", CacheDatabase.Now()));
        RewriteIndex();
    }

    public bool Remove(string name)
    {
        var normalized = ImageName.Normalize(name);
        var found = database.Query("SELECT 1 FROM images WHERE name=$n", _ => 1, ("$n", normalized)).Count > 0;
        if (!found) return false;
        database.Execute("DELETE FROM images WHERE name=$n", ("$n", normalized));
        RewriteIndex();
        return true;
    }

    public ImageManifest ReadManifest(Digest digest) => OciJson.DeserializeManifest(content.ReadAllBytes(digest));

    public ImageConfig ReadConfig(Digest digest) => OciJson.DeserializeConfig(content.ReadAllBytes(digest));

    private static ImageRecord Read(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        new(r.GetString(0), Digest.Parse(r.GetString(1)), r.GetString(2), r.GetInt64(3), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)));

    private void RewriteIndex()
    {
        using var indexLock = FileLock.Acquire(IndexPath + ".lock");
        var index = new ImageIndex
        {
            Manifests = List().Select(image => new Descriptor
            {
                MediaType = image.MediaType,
                Digest = image.ManifestDigest.ToString(),
                Size = image.Size,
                Annotations = new() { [Descriptor.RefNameAnnotation] = image.Name },
            }).ToList(),
        };
        AtomicFile.Write(IndexPath, OciJson.Serialize(index));
    }
}
