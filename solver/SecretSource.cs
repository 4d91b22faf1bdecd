namespace Csbuild.Solver;

/// <summary>
/// Where a build secret's value comes from (<c>--secret id=x,src=FILE</c> or <c>id=x,env=VAR</c>). The value is
/// read only when a step mounts it, and never enters a cache key, a layer, the image or a message.
/// </summary>
public sealed record SecretSource
{
    private SecretSource(string? filePath, string? environmentVariable)
    {
        FilePath = filePath;
        EnvironmentVariable = environmentVariable;
    }

    public string? FilePath { get; }
    public string? EnvironmentVariable { get; }

    public static SecretSource FromFile(string path) => new(Path.GetFullPath(path), null);
    public static SecretSource FromEnvironment(string variable) => new(null, variable);

    /// <summary>The value, or null when its file or variable is not there.</summary>
    public byte[]? Read()
    {
        if (EnvironmentVariable is { } name)
            return Environment.GetEnvironmentVariable(name) is { } value ? System.Text.Encoding.UTF8.GetBytes(value) : null;
        try
        {
            return File.ReadAllBytes(FilePath!);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Where the value comes from, for messages: never the value itself.</summary>
    public override string ToString() => EnvironmentVariable is { } name ? "environment variable " + name : "file " + FilePath;
}
