namespace Csbuild.MsBuild.Tests;

/// <summary>
/// Test apps written into a directory: a console app with a NuGet dependency (Sprache) and a project reference (a
/// class library), and an ASP.NET app; both reference Csbuild.Containers from the fixture's local feed.
/// </summary>
public static class SampleApps
{
    public const string ConsoleProject = "app/HelloApp.csproj";
    public const string WebProject = "web/HelloWeb.csproj";

    public static void WriteNuGetConfig(string directory, string feed) => Write(directory, "nuget.config", $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="csbuild-local" value="{feed}" />
          </packageSources>
        </configuration>
        """);

    /// <summary>
    /// The console app; <paramref name="greeting"/> is the app's own line of code that tests change;
    /// <paramref name="extraProperties"/> is MSBuild XML added to the project's PropertyGroup.
    /// </summary>
    public static void WriteConsoleApp(string directory, string feed, string greeting = "hello from the app", string extraProperties = "")
    {
        WriteNuGetConfig(directory, feed);
        Write(directory, "lib/HelloLib.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
              </PropertyGroup>
            </Project>
            """);
        Write(directory, "lib/Greeter.cs", """
            namespace HelloLib;
            public static class Greeter
            {
                public static string FromLibrary() => "hello from the library";
            }
            """);
        Write(directory, ConsoleProject, $$"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <InvariantGlobalization>true</InvariantGlobalization>
                {{extraProperties}}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Csbuild.Containers" Version="0.1.0" />
                <PackageReference Include="Sprache" Version="2.3.1" />
                <ProjectReference Include="../lib/HelloLib.csproj" />
              </ItemGroup>
              <ItemGroup>
                <ContainerEnvironmentVariable Include="GREETING_ENV" Value="from-msbuild" />
                <ContainerLabel Include="test.label" Value="console" />
                <ContainerPort Include="8080" Type="tcp" />
                <ContainerAppCommandArgs Include="first" />
                <ContainerDefaultArgs Include="second" />
              </ItemGroup>
            </Project>
            """);
        WriteConsoleProgram(directory, greeting);
    }

    public static void WriteConsoleProgram(string directory, string greeting) => Write(directory, "app/Program.cs", $$"""
        using Sprache;
        var number = Parse.Number.Parse("42");
        Console.WriteLine("{{greeting}}");
        Console.WriteLine(HelloLib.Greeter.FromLibrary());
        Console.WriteLine($"parsed {number} with Sprache");
        Console.WriteLine($"args: {string.Join(",", args)}");
        Console.WriteLine($"cwd: {Environment.CurrentDirectory}");
        Console.WriteLine($"GREETING_ENV={Environment.GetEnvironmentVariable("GREETING_ENV")}");
        """);

    public static void WriteWebApp(string directory, string feed)
    {
        WriteNuGetConfig(directory, feed);
        Write(directory, WebProject, """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <InvariantGlobalization>true</InvariantGlobalization>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Csbuild.Containers" Version="0.1.0" />
              </ItemGroup>
            </Project>
            """);
        Write(directory, "web/Program.cs", """
            var app = WebApplication.CreateBuilder(args).Build();
            app.MapGet("/", () => "hello from the web app in a csbuild image");
            app.Run();
            """);
    }

    /// <summary>
    /// Restores linux-x64 and linux-arm64 without their runtime and apphost packs (this machine's package feed has no
    /// arm64 packs): framework-dependent, launched by `dotnet`, so only IL is published for each RID.
    /// </summary>
    public const string TwoRuntimeIdentifiers = """
        <RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>
        <SelfContained>false</SelfContained>
        <UseAppHost>false</UseAppHost>
        <EnableRuntimePackDownload>false</EnableRuntimePackDownload>
        <EnableAppHostPackDownload>false</EnableAppHostPackDownload>
        """;

    public static void Write(string directory, string relative, string content)
    {
        var path = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
