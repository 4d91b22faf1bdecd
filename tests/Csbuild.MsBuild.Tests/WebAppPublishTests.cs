using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>An ASP.NET app published with the package, run by runc on the host network and asked over HTTP.</summary>
[Collection("publish")]
public sealed class WebAppPublishTests(PublishFixture fixture)
{
    [Fact]
    public async Task WebApp_PublishedWithTheDefaultContainerProfile_AndRunWithRunc_AnswersHttp()
    {
        using var dir = new TempDirectory("csbuild-web");
        SampleApps.WriteWebApp(dir.Path, fixture.Feed);
        string[] arguments =
        [
            // The SDK's other spelling of a container publish: the built-in DefaultContainer publish profile.
            "publish", dir.Combine(SampleApps.WebProject), "-p:PublishProfile=DefaultContainer", "--disable-build-servers",
            $"-p:ContainerBaseImage={fixture.BaseImage}", $"-p:ContainerRegistry={fixture.Registry.Host}", "-p:ContainerRepository=tests/web",
        ];
        var publish = DotnetCli.Run(dir.Path, fixture.Environment(dir.Combine("csbuild-root")), arguments);
        Assert.True(publish.ExitCode == 0, publish.ToString());
        var image = fixture.Registry.Reference("tests/web:latest");

        var config = ImageRunner.Inspect(image, config: true)["config"]!;
        Assert.Equal(["dotnet", "/app/HelloWeb.dll"], config["Entrypoint"]!.AsArray().Select(e => e!.GetValue<string>()));

        var port = FreePort();
        var layout = ImageRunner.PullWithSkopeo(image, dir.Path);
        var bundle = ImageRunner.Unpack(layout, dir.Path, spec =>
        {
            // The host's network, so the test can connect; the port comes through the standard ASP.NET variable.
            var namespaces = spec["linux"]!["namespaces"]!.AsArray();
            foreach (var network in namespaces.Where(n => n!["type"]!.GetValue<string>() == "network").ToList()) namespaces.Remove(network);
            spec["process"]!["env"]!.AsArray().Add($"ASPNETCORE_HTTP_PORTS={port}");
        });

        var id = "msbuild-web-" + Guid.NewGuid().ToString("N")[..8];
        using var runc = Process.Start(new ProcessStartInfo("runc", ["run", "--bundle", bundle, id])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var output = new System.Text.StringBuilder();
        runc.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        runc.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        runc.BeginOutputReadLine();
        runc.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string? answer = null;
            var deadline = Stopwatch.StartNew();
            while (answer is null && deadline.Elapsed < TimeSpan.FromSeconds(60) && !runc.HasExited)
            {
                try
                {
                    answer = await http.GetStringAsync($"http://127.0.0.1:{port}/");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(250);
                }
            }
            Assert.True(answer is not null, $"the web app did not answer; container output:\n{output}");
            Assert.Equal("hello from the web app in a csbuild image", answer);
        }
        finally
        {
            ProcessRunner.Run("runc", "kill", id, "KILL");
            runc.WaitForExit(30_000);
            ProcessRunner.Run("runc", "delete", "--force", id);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
