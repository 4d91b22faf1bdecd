using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>
/// A console app that the unprivileged user <c>nobody</c> publishes: the package feed is copied in (the fixture's is
/// root's), the directory is made world-writable, and home, NuGet cache and the default csbuild root (XDG_DATA_HOME)
/// all live inside it, so nothing of root's is used.
/// </summary>
internal sealed class UnprivilegedWorkspace
{
    public const int Nobody = 65534;

    private readonly TempDirectory _dir;
    private readonly Dictionary<string, string?> _environment;

    /// <param name="prepare">Writes more files (a Dockerfile…) before the tree is handed to nobody.</param>
    public UnprivilegedWorkspace(TempDirectory dir, PublishFixture fixture, Action? prepare = null)
    {
        _dir = dir;
        var feed = dir.Combine("feed");
        Directory.CreateDirectory(feed);
        foreach (var package in Directory.EnumerateFiles(fixture.Feed, "*.nupkg"))
            File.Copy(package, Path.Combine(feed, Path.GetFileName(package)));
        SampleApps.WriteConsoleApp(dir.Path, feed);
        prepare?.Invoke();
        var chmod = ProcessRunner.Run("chmod", "-R", "a+rwX", dir.Path);
        Assert.True(chmod.ExitCode == 0, chmod.ToString());
        _environment = new Dictionary<string, string?>
        {
            ["HOME"] = dir.Combine("home"),
            ["DOTNET_CLI_HOME"] = dir.Combine("home"),
            ["XDG_DATA_HOME"] = dir.Combine("home", "data"),
            ["NUGET_PACKAGES"] = dir.Combine("home", "packages"),
            ["CSBUILD_ROOT"] = null,
            ["SOURCE_DATE_EPOCH"] = null,
        };
    }

    /// <summary>The CLI's default root for nobody, shared with <c>csbuild</c>.</summary>
    public string DefaultCsbuildRoot => _dir.Combine("home", "data", "csbuild");

    /// <summary><c>dotnet publish -t:PublishContainer</c> of the console app as nobody, with extra <c>-p:</c> arguments.</summary>
    public ProcessResult PublishContainer(params string[] properties) => DotnetCli.RunAs((Nobody, Nobody), _dir.Path, _environment,
        ["publish", _dir.Combine(SampleApps.ConsoleProject), "-t:PublishContainer", "--disable-build-servers", .. properties]);
}
