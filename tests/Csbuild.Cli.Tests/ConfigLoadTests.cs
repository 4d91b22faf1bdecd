using Csbuild.Cli.Commands;
using Csbuild.Cli.Config;
using Csbuild.TestSupport;

namespace Csbuild.Cli.Tests;

public sealed class ConfigLoadTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] values)
    {
        var map = values.ToDictionary(v => v.Key, v => v.Value);
        return key => map.GetValueOrDefault(key);
    }

    [Fact]
    public void WithoutFiles_DefaultsApply_AndTheirSourceIsDefault()
    {
        using var dir = new TempDirectory();
        var config = CsbuildConfig.Load(Env(("HOME", dir.Path), ("XDG_CONFIG_HOME", dir.Combine("cfg"))), isRoot: false);

        Assert.Equal(Path.Combine(dir.Path, ".local", "share", "csbuild"), config.Root.Value);
        Assert.Equal("default", config.Root.Source);
        Assert.Equal("runc", config.Runtime.Value);
        Assert.Null(config.GcKeepStorage.Value);
        Assert.Empty(config.Registries);
        Assert.Equal(dir.Combine("cfg/csbuild/config.toml"), config.Files[^1].Path);
        Assert.False(config.Files[^1].Found);
        Assert.Equal("/var/lib/csbuild", CsbuildConfig.Load(Env(("HOME", dir.Path)), isRoot: true).Root.Value);
    }

    [Fact]
    public void UserFile_IsRead_WithFileAndLineAsSource_AndTheEnvironmentWins()
    {
        using var dir = new TempDirectory();
        dir.Write("cfg/csbuild/config.toml", """
            root = "/srv/csbuild"
            runtime = "/usr/local/bin/crun"

            [gc]
            keep_storage = "20GB"

            [registry."docker.io"]
            mirrors = ["mirror.gcr.io"]

            [registry."localhost:5000"]
            insecure = true
            """);
        var file = dir.Combine("cfg/csbuild/config.toml");
        var config = CsbuildConfig.Load(Env(("HOME", dir.Path), ("XDG_CONFIG_HOME", dir.Combine("cfg"))), isRoot: true);

        Assert.Equal(new ConfigValue<string>("/srv/csbuild", $"{file}:1"), config.Root);
        Assert.Equal(new ConfigValue<string>("/usr/local/bin/crun", $"{file}:2"), config.Runtime);
        Assert.Equal(20L << 30, config.GcKeepStorage.Value);
        Assert.Equal($"{file}:5", config.GcKeepStorage.Source);
        Assert.Equal(["mirror.gcr.io"], config.MirrorsFor("docker.io"));
        Assert.Equal(["mirror.gcr.io"], config.MirrorsFor("index.docker.io"));
        Assert.Empty(config.MirrorsFor("quay.io"));
        Assert.Equal(["mirror.gcr.io"], Assert.Single(config.Mirrors, m => m.Key == "docker.io").Value);
        Assert.Equal(["localhost:5000"], config.InsecureRegistries);
        Assert.Equal($"{file}:11", config.Registries["localhost:5000"].Insecure.Source);
        Assert.Equal("default", config.Registries["localhost:5000"].Mirrors.Source);

        var withEnv = CsbuildConfig.Load(Env(("HOME", dir.Path), ("XDG_CONFIG_HOME", dir.Combine("cfg")), ("CSBUILD_ROOT", "/tmp/r")), isRoot: true);
        Assert.Equal(new ConfigValue<string>("/tmp/r", "env CSBUILD_ROOT"), withEnv.Root);
    }

    [Fact]
    public void CsbuildConfigVariable_NamesTheOnlyFileRead_AndAMissingOneIsAnError()
    {
        using var dir = new TempDirectory();
        dir.Write("user/csbuild/config.toml", "runtime = \"from-user-file\"\n");
        dir.Write("ci.toml", "runtime = \"from-ci-file\"\n");
        var config = CsbuildConfig.Load(Env(("XDG_CONFIG_HOME", dir.Combine("user")), ("CSBUILD_CONFIG", dir.Combine("ci.toml"))), isRoot: true);
        Assert.Equal("from-ci-file", config.Runtime.Value);
        Assert.Single(config.Files);

        var e = Assert.Throws<CliException>(() => CsbuildConfig.Load(Env(("CSBUILD_CONFIG", dir.Combine("nope.toml"))), isRoot: true));
        Assert.Contains("no such file", e.Message);
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
    }

    [Theory]
    [InlineData("rooot = \"/x\"", "unknown setting 'rooot'")]
    [InlineData("root = 5", "root must be a string")]
    [InlineData("root = \"relative\"", "absolute path")]
    [InlineData("[gc]\nkeep = 1", "unknown setting 'gc.keep'")]
    [InlineData("[gc]\nkeep_storage = \"lots\"", "invalid size")]
    [InlineData("[registry.\"docker.io\"]\nmirrors = \"one\"", "array of strings")]
    [InlineData("[registry.\"docker.io\"]\ninsecure = \"yes\"", "true or false")]
    [InlineData("[registry.\"docker.io\"]\nmirror = []", "unknown setting 'registry.\"docker.io\".mirror'")]
    [InlineData("[registry.\"https://x/v2\"]\ninsecure = true", "expected a registry host")]
    [InlineData("[registry.\"docker.io\"]\nmirrors = [\"https://mirror.gcr.io\"]", "is not a registry host[:port]")]
    [InlineData("gc = 1", "gc must be a table")]
    public void InvalidSettings_AreUsageErrors_NamingFileAndLine(string text, string message)
    {
        using var dir = new TempDirectory();
        dir.Write("c.toml", text);
        var e = Assert.Throws<CliException>(() => CsbuildConfig.Load(Env(("CSBUILD_CONFIG", dir.Combine("c.toml"))), isRoot: true));
        Assert.Contains(message, e.Message);
        Assert.Contains(dir.Combine("c.toml"), e.Message);
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
    }

    [Fact]
    public void ConfigShow_IsItselfAValidConfigFile_ThatLoadsToTheSameValues()
    {
        using var dir = new TempDirectory();
        dir.Write("c.toml", """
            root = "/srv/with \"quotes\""
            [gc]
            keep_storage = 1073741824
            [registry."docker.io"]
            mirrors = ["a.example", "b.example"]
            [registry."10.0.0.1:5000"]
            insecure = true
            """);
        var config = CsbuildConfig.Load(Env(("CSBUILD_CONFIG", dir.Combine("c.toml"))), isRoot: true);
        var shown = ConfigCommand.Render(config);
        Assert.Contains($"# {dir.Combine("c.toml")}:1", shown);
        Assert.Contains("keep_storage = \"1GB\"", shown);

        dir.Write("shown.toml", shown);
        var again = CsbuildConfig.Load(Env(("CSBUILD_CONFIG", dir.Combine("shown.toml"))), isRoot: true);
        Assert.Equal(config.Root.Value, again.Root.Value);
        Assert.Equal(config.GcKeepStorage.Value, again.GcKeepStorage.Value);
        Assert.Equal(config.MirrorsFor("docker.io"), again.MirrorsFor("docker.io"));
        Assert.Equal(config.InsecureRegistries, again.InsecureRegistries);
        Assert.Contains("root = \"/cli/flag\"", ConfigCommand.Render(config, "/cli/flag"));
        Assert.Contains("# --root", ConfigCommand.Render(config, "/cli/flag"));
    }
}
