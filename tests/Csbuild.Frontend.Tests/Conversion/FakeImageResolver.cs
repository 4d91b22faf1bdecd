using Csbuild.Oci.Model;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Conversion;

/// <summary>A test double for the image resolver: an in-memory dictionary of image configs.</summary>
internal sealed class FakeImageResolver : IImageResolver
{
    private readonly Dictionary<string, ImageConfig> _images = [];

    public List<(string Reference, string? Platform)> Calls { get; } = [];

    public FakeImageResolver Add(string reference, Action<ContainerConfig>? configure = null, string architecture = "amd64")
    {
        var config = new ImageConfig { Architecture = architecture, Config = new ContainerConfig() };
        config.History.Add(new HistoryEntry { CreatedBy = "base layer of " + reference });
        configure?.Invoke(config.Config);
        _images[reference] = config;
        return this;
    }

    public Task<ResolvedImage> ResolveAsync(string reference, string? platform, CancellationToken cancellationToken)
    {
        Calls.Add((reference, platform));
        if (!_images.TryGetValue(reference, out var config)) throw new ImageNotFoundException(reference, "not in the fake resolver");
        var digest = Digest.Of("manifest of " + reference);
        return Task.FromResult(new ResolvedImage("docker.io/library/" + reference, digest, config.Clone()));
    }
}

internal static class Conv
{
    public static FakeImageResolver DefaultImages() => new FakeImageResolver()
        .Add("alpine", c => c.Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        .Add("busybox", c =>
        {
            c.Env = ["PATH=/bin", "HOME=/root"];
            c.Cmd = ["sh"];
            c.WorkingDir = "/home";
        });

    public static FrontendRequest Request(string dockerfile, Action<Dictionary<string, string>>? buildArgs = null, string? target = null) => new()
    {
        DockerfileText = dockerfile.Replace("\r\n", "\n"),
        Context = new Csbuild.Solver.Graph.LocalSource("/nonexistent-context-for-tests", []),
        BuildArgs = Args(buildArgs),
        Target = target,
        Platform = "linux/amd64",
    };

    private static Dictionary<string, string> Args(Action<Dictionary<string, string>>? fill)
    {
        var d = new Dictionary<string, string>();
        fill?.Invoke(d);
        return d;
    }

    public static Csbuild.Solver.Graph.BuildGraph Graph(string dockerfile, FakeImageResolver? images = null, Action<Dictionary<string, string>>? buildArgs = null, string? target = null) =>
        DockerfileFrontend.ConvertAsync(Request(dockerfile, buildArgs, target), images ?? DefaultImages(), CancellationToken.None).GetAwaiter().GetResult();

    public static Csbuild.Solver.Graph.BuildGraph Graph(FrontendRequest request, FakeImageResolver? images = null) =>
        DockerfileFrontend.ConvertAsync(request, images ?? DefaultImages(), CancellationToken.None).GetAwaiter().GetResult();

    public static DockerfileException Error(string dockerfile, FakeImageResolver? images = null, Action<Dictionary<string, string>>? buildArgs = null, string? target = null)
    {
        try
        {
            Graph(dockerfile, images, buildArgs, target);
        }
        catch (DockerfileException e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException("expected a DockerfileException");
    }

    /// <summary>The vertices of the output's chain through input 0, base first.</summary>
    public static List<Csbuild.Solver.Graph.Vertex> Chain(Csbuild.Solver.Graph.Vertex output)
    {
        var chain = new List<Csbuild.Solver.Graph.Vertex>();
        for (var v = output; v is not null; v = v.Inputs.Count > 0 ? v.Inputs[0] : null) chain.Add(v);
        chain.Reverse();
        return chain;
    }
}
