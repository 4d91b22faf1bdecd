using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>
/// What every publish test shares, made once: the Csbuild.Containers package packed from this repository into a local
/// feed, a NuGet package folder of its own (so the package under test is never a stale cached copy), a real registry,
/// and the .NET base image pushed to it.
/// </summary>
public sealed class PublishFixture : IDisposable
{
    public PublishFixture()
    {
        Directory = new TempDirectory("csbuild-msbuild");
        Registry = new RegistryFixture();
        try
        {
            Feed = Directory.Combine("feed");
            PackagesFolder = Directory.Combine("packages");
            var project = Path.Combine(DotnetCli.RepositoryRoot(), "msbuild-tasks", "Csbuild.Containers.csproj");
            // The native csbuild goes into the package when ./test.sh built one (CSBUILD_BIN); never a stale one from elsewhere.
            var native = System.Environment.GetEnvironmentVariable("CSBUILD_BIN");
            NativeBinaryPacked = !string.IsNullOrEmpty(native) && File.Exists(native);
            var pack = DotnetCli.Run(Directory.Path, new Dictionary<string, string?>(), "pack", project, "-o", Feed,
                "--artifacts-path", Path.Combine(Path.GetTempPath(), "csbuild-msbuild-tests-pack"), "--disable-build-servers",
                "-p:CsbuildNativeBinary=" + (NativeBinaryPacked ? Path.GetFullPath(native!) : "none"));
            if (pack.ExitCode != 0) throw new InvalidOperationException("dotnet pack of Csbuild.Containers failed:\n" + pack);
            BaseImage = DotnetBaseImage.CreateAndPushAsync(Registry, Directory.Combine("base"), "dotnet-base:10").GetAwaiter().GetResult();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TempDirectory Directory { get; }
    public RegistryFixture Registry { get; }
    public string Feed { get; } = "";
    public string PackagesFolder { get; } = "";

    /// <summary>127.0.0.1:PORT/dotnet-base:10</summary>
    public string BaseImage { get; } = "";

    /// <summary>The environment for `dotnet publish` of a test app: its csbuild root and the fixture's package folder.</summary>
    /// <summary>Whether the package carries the native csbuild, which then pulls base images (Image/NativeBasePull.cs).</summary>
    public bool NativeBinaryPacked { get; }

    public Dictionary<string, string?> Environment(string csbuildRoot) => new()
    {
        ["NUGET_PACKAGES"] = PackagesFolder,
        ["CSBUILD_ROOT"] = csbuildRoot,
        ["SOURCE_DATE_EPOCH"] = null,
    };

    public void Dispose()
    {
        Registry.Dispose();
        Directory.Dispose();
    }
}

[CollectionDefinition("publish")]
public sealed class PublishCollection : ICollectionFixture<PublishFixture>;
