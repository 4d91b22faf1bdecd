using System.Text;
using Csbuild.Frontend.Parsing;
using Csbuild.Oci.Model;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Fuzz;

/// <summary>Resolves any image to an empty config, except names containing "missing".</summary>
internal sealed class AnyImageResolver : IImageResolver
{
    public Task<ResolvedImage> ResolveAsync(string reference, string? platform, CancellationToken cancellationToken)
    {
        if (reference.Contains("missing", StringComparison.Ordinal)) throw new ImageNotFoundException(reference, "fuzz");
        var config = new ImageConfig { Config = new ContainerConfig { Env = ["PATH=/bin"], OnBuild = reference.Contains("onb") ? ["RUN x", "COPY a b"] : null } };
        return Task.FromResult(new ResolvedImage(reference, Digest.Of(reference), config));
    }
}

/// <summary>Runs every stage of the frontend on an input; only Dockerfile errors may come out.</summary>
internal static class FrontendPipeline
{
    public static async Task RunAsync(byte[] input)
    {
        string text;
        try
        {
            text = DockerfileParser.Parse(input).Instructions.Count >= 0 ? Encoding.UTF8.GetString(input) : "";
        }
        catch (DockerfileParseException e)
        {
            AssertWellFormed(e);
            return;
        }
        await RunAsync(text);
    }

    public static async Task RunAsync(string text)
    {
        try
        {
            var syntax = DockerfileParser.Parse(text);
            _ = DockerfileSyntaxJson.Render(syntax, indented: false);
            _ = DockerfileSyntaxJson.RenderText(syntax);
            _ = DockerfileFrontend.Check(text);
            var request = new FrontendRequest
            {
                DockerfileText = text,
                Context = new LocalSource("/nonexistent-fuzz-context", []),
                BuildArgs = new Dictionary<string, string> { ["A"] = "1", ["HTTP_PROXY"] = "p" },
            };
            _ = await DockerfileFrontend.ConvertWithWarningsAsync(request, new AnyImageResolver(), CancellationToken.None);
        }
        catch (DockerfileException e)
        {
            AssertWellFormed(e);
        }
    }

    private static void AssertWellFormed(DockerfileException e)
    {
        Assert.False(string.IsNullOrEmpty(e.Message));
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(e.Message.Length < 2000, "error message too long: " + e.Message.Length);
    }
}
