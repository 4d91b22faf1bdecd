using Csbuild.Containers;
using Csbuild.Containers.Image;
using Csbuild.Containers.Registry;
using Csbuild.Oci.Model;

namespace Csbuild.MsBuild.Tests;

/// <summary>The SDK-compatible parts that need no registry: base image inference, platforms, property parsing, commands, credentials.</summary>
public sealed class ContainerSettingsTests
{
    [Theory]
    [InlineData("v10.0", false, false, "linux-x64", "", "mcr.microsoft.com/dotnet/runtime:10.0")]
    [InlineData("v10.0", false, true, "linux-x64", "", "mcr.microsoft.com/dotnet/aspnet:10.0")]
    [InlineData("v9.0", true, true, "linux-arm64", "", "mcr.microsoft.com/dotnet/runtime-deps:9.0")]
    [InlineData("v8.0", false, false, "linux-musl-x64", "", "mcr.microsoft.com/dotnet/runtime:8.0-alpine")]
    [InlineData("v8.0", false, true, "linux-x64", "noble-chiseled", "mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled")]
    public void BaseImage_IsInferredLikeTheSdk(string tfm, bool selfContained, bool aspnet, string rid, string family, string expected) =>
        Assert.Equal(expected, BaseImageInference.Infer(tfm, selfContained, aspnet, rid, family));

    [Fact]
    public void BaseImage_ForAnOldFramework_IsAnErrorWithCode()
    {
        var error = Assert.Throws<ContainerBuildException>(() => BaseImageInference.Infer("v3.1", false, false, "linux-x64", null));
        Assert.Equal("CSB001", error.Diagnostic.Code);
    }

    [Theory]
    [InlineData("linux-x64", "linux/amd64")]
    [InlineData("linux-arm64", "linux/arm64")]
    [InlineData("linux-musl-arm", "linux/arm/v7")]
    public void RuntimeIdentifier_MapsToPlatform(string rid, string platform) => Assert.Equal(platform, RuntimePlatform.ToPlatform(rid));

    [Theory]
    [InlineData("win-x64")]
    [InlineData("linux-sparc")]
    public void NonLinuxRuntimeIdentifier_IsCSB005(string rid) =>
        Assert.Equal("CSB005", Assert.Throws<ContainerBuildException>(() => RuntimePlatform.ToPlatform(rid)).Diagnostic.Code);

    [Fact]
    public void Ports_TakeTheirTypeFromMetadataOrSuffix()
    {
        Assert.Equal(new ContainerPort(53, "udp"), ContainerPropertyParser.ParsePort("53", "UDP"));
        Assert.Equal(new ContainerPort(8080, "tcp"), ContainerPropertyParser.ParsePort("8080", ""));
        Assert.Equal(new ContainerPort(9000, "udp"), ContainerPropertyParser.ParsePort("9000/udp", ""));
        Assert.Equal("CSB001", Assert.Throws<ContainerBuildException>(() => ContainerPropertyParser.ParsePort("http", "")).Diagnostic.Code);
    }

    [Fact]
    public void OwnerModeAndLayering_AreParsedStrictly()
    {
        Assert.Equal((1654, 1654), ContainerPropertyParser.ParseOwner("1654"));
        Assert.Equal((1000, 50), ContainerPropertyParser.ParseOwner("1000:50"));
        Assert.Null(ContainerPropertyParser.ParseOwner(""));
        Assert.Throws<ContainerBuildException>(() => ContainerPropertyParser.ParseOwner("app:app"));
        Assert.Equal(0b110_100_000, ContainerPropertyParser.ParseMode("0640"));
        Assert.Throws<ContainerBuildException>(() => ContainerPropertyParser.ParseMode("0999"));
        Assert.Equal(ContainerLayering.Single, ContainerPropertyParser.ParseLayering("Single"));
        Assert.Throws<ContainerBuildException>(() => ContainerPropertyParser.ParseLayering("per-file"));
    }

    [Fact]
    public void PublishFiles_AreClassifiedByTheirMetadata()
    {
        static Func<string, string> Metadata(params (string Name, string Value)[] values) =>
            name => values.FirstOrDefault(v => v.Name == name).Value ?? "";
        Assert.Equal(new PublishFile("Sprache.dll", PublishFileOrigin.NuGetPackage), ContainerPropertyParser.ToPublishFile(
            "/home/u/.nuget/packages/sprache/2.3.1/lib/netstandard2.0/Sprache.dll", Metadata(("RelativePath", "Sprache.dll"), ("NuGetPackageId", "Sprache"))));
        Assert.Equal(new PublishFile("Lib.dll", PublishFileOrigin.ProjectReference), ContainerPropertyParser.ToPublishFile(
            "/src/lib/bin/Lib.dll", Metadata(("RelativePath", "Lib.dll"), ("ReferenceSourceTarget", "ProjectReference"))));
        Assert.Equal(new PublishFile("runtimes/x/a.json", PublishFileOrigin.Application), ContainerPropertyParser.ToPublishFile(
            "/src/app/a.json", Metadata(("RelativePath", "runtimes/x/a.json"))));
        Assert.Equal("a.json", ContainerPropertyParser.ToPublishFile("/src/app/a.json", Metadata()).RelativePath);
    }

    private static ContainerRequest Request(Func<ContainerRequest, ContainerRequest>? edit = null)
    {
        var request = new ContainerRequest
        {
            PublishDirectory = "/p", BaseImage = "base", Repository = "app", IntermediateDirectory = "/obj", CsbuildRoot = "/root",
            AppCommand = ["dotnet", "/app/App.dll"],
        };
        return edit?.Invoke(request) ?? request;
    }

    [Fact]
    public void AppCommand_GoesToTheEntrypoint_AndReplacesTheBaseCmd()
    {
        var container = new ContainerConfig { Cmd = ["/bin/sh"] };
        ImageConfigComposer.ApplyCommand(container, Request(r => r with { AppCommandArgs = ["--x"], DefaultArgs = ["--y"] }));
        Assert.Equal(["dotnet", "/app/App.dll", "--x"], container.Entrypoint);
        Assert.Equal(["--y"], container.Cmd);

        var plain = new ContainerConfig { Cmd = ["/bin/sh"] };
        ImageConfigComposer.ApplyCommand(plain, Request());
        Assert.Null(plain.Cmd);
    }

    [Fact]
    public void AppCommand_WithABaseEntrypoint_BecomesDefaultArgs_AsTheSdkDecides()
    {
        var container = new ContainerConfig { Entrypoint = ["/tini", "--"], Cmd = ["/bin/sh"] };
        ImageConfigComposer.ApplyCommand(container, Request(r => r with { DefaultArgs = ["--y"] }));
        Assert.Equal(["/tini", "--"], container.Entrypoint);
        Assert.Equal(["dotnet", "/app/App.dll", "--y"], container.Cmd);
    }

    [Fact]
    public void AppCommandInstructionNone_KeepsTheBaseImageCommand()
    {
        var container = new ContainerConfig { Entrypoint = ["/entry"], Cmd = ["x"] };
        ImageConfigComposer.ApplyCommand(container, Request(r => r with { AppCommandInstruction = AppCommandInstruction.None }));
        Assert.Equal(["/entry"], container.Entrypoint);
        Assert.Equal(["x"], container.Cmd);
    }

    [Fact]
    public void ContainerEntrypoint_WithInstructionEntrypoint_IsRefused() =>
        Assert.Throws<ContainerBuildException>(() => ImageConfigComposer.ApplyCommand(new ContainerConfig(),
            Request(r => r with { Entrypoint = ["/x"], AppCommandInstruction = AppCommandInstruction.Entrypoint })));

    [Fact]
    public async Task SdkCredentialVariables_PreferTheRoleSpecificPair()
    {
        var variables = new Dictionary<string, string>
        {
            ["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = "pusher", ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = "p1",
            ["DOTNET_CONTAINER_REGISTRY_UNAME"] = "generic", ["DOTNET_CONTAINER_REGISTRY_PWORD"] = "p2",
        };
        var push = await new SdkEnvironmentCredentialProvider(RegistryRole.Push, variables.GetValueOrDefault).GetCredentialAsync("r.io", default);
        var pull = await new SdkEnvironmentCredentialProvider(RegistryRole.Pull, variables.GetValueOrDefault).GetCredentialAsync("r.io", default);
        Assert.Equal(("pusher", "p1"), (push!.Username, push.Password));
        Assert.Equal(("generic", "p2"), (pull!.Username, pull.Password));
        Assert.Null(await new SdkEnvironmentCredentialProvider(RegistryRole.Pull, _ => null).GetCredentialAsync("r.io", default));
    }

    [Fact]
    public void SourceDateEpoch_IsParsed_AndABadValueIsCSB001()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), SourceDateEpoch.Resolve("1700000000", null));
        Assert.Equal("CSB001", Assert.Throws<ContainerBuildException>(() => SourceDateEpoch.Resolve("yesterday", null)).Diagnostic.Code);
        Assert.Null(SourceDateEpoch.Resolve(null, Path.GetTempPath())); // not a git repository
    }

    [Fact]
    public void Config_MergesEnvironmentAndLabels_TakesAppUidAsUser_AndUsesTheEpochForEveryTime()
    {
        var baseConfig = new ImageConfig
        {
            Created = DateTimeOffset.UtcNow,
            Config = new ContainerConfig { Env = ["PATH=/bin", "APP_UID=1654", "MODE=base"], Labels = new() { ["base.label"] = "kept" } },
            RootFs = new RootFs { DiffIds = ["sha256:" + new string('a', 64)] },
        };
        var epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var layer = new Csbuild.Containers.Layers.BuiltLayer("application", Digest.Parse("sha256:" + new string('b', 64)),
            Digest.Parse("sha256:" + new string('c', 64)), 10, MediaTypes.OciLayerGzip, "chain", Reused: false);
        var request = Request(r => r with
        {
            EnvironmentVariables = [KeyValuePair.Create("MODE", "app"), KeyValuePair.Create("EXTRA", "1")],
            Labels = [KeyValuePair.Create("app.label", "x")],
            Ports = [new ContainerPort(8080, "tcp")],
            SourceDateEpoch = epoch,
        });
        var config = ImageConfigComposer.Compose(baseConfig, request, "base:1", Digest.Parse("sha256:" + new string('d', 64)), [layer]);

        Assert.Equal(["PATH=/bin", "APP_UID=1654", "MODE=app", "EXTRA=1"], config.Config.Env);
        Assert.Equal("1654", config.Config.User);
        Assert.Equal("kept", config.Config.Labels!["base.label"]);
        Assert.Equal("x", config.Config.Labels["app.label"]);
        Assert.Equal("2023-11-14T22:13:20Z", config.Config.Labels[ImageConfigComposer.CreatedLabel]);
        Assert.Equal("base:1", config.Config.Labels[ImageConfigComposer.BaseNameLabel]);
        Assert.Contains("8080/tcp", config.Config.ExposedPorts!.Keys);
        Assert.Equal(epoch, config.Created);
        Assert.Equal(2, config.RootFs.DiffIds.Count);
        Assert.Equal(epoch, Assert.Single(config.History).Created);

        var explicitUser = ImageConfigComposer.Compose(baseConfig, request with { User = "0" }, "base:1", Digest.Parse("sha256:" + new string('d', 64)), [layer]);
        Assert.Equal("0", explicitUser.Config.User);
    }
}
