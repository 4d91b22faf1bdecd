using System.Text.Json;
using System.Text.Json.Nodes;
using Csbuild.TestSupport;

namespace Csbuild.MsBuild.Tests;

/// <summary>Checks an image with independent tools: skopeo pulls it from the registry, umoci unpacks it, runc runs it.</summary>
public static class ImageRunner
{
    /// <summary>skopeo copy from the registry into an OCI layout; returns the layout reference for umoci.</summary>
    public static string PullWithSkopeo(string imageReference, string directory)
    {
        var layout = Path.Combine(directory, "layout");
        var copy = ProcessRunner.Run("skopeo", "copy", "--src-tls-verify=false", "docker://" + imageReference, $"oci:{layout}:pulled");
        Assert.True(copy.ExitCode == 0, copy.ToString());
        return $"{layout}:pulled";
    }

    public static JsonNode Inspect(string imageReference, bool config = false)
    {
        var args = new List<string> { "inspect", "--tls-verify=false" };
        if (config) args.Add("--config");
        args.Add("docker://" + imageReference);
        var inspect = ProcessRunner.Run("skopeo", args);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        return JsonNode.Parse(inspect.Stdout)!;
    }

    /// <summary>umoci unpack into a bundle whose process does not want a terminal; returns the bundle directory.</summary>
    public static string Unpack(string layoutReference, string directory, Action<JsonNode>? editSpec = null)
    {
        var bundle = Path.Combine(directory, "bundle");
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", layoutReference, bundle);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        var specPath = Path.Combine(bundle, "config.json");
        var spec = JsonNode.Parse(File.ReadAllText(specPath))!;
        spec["process"]!["terminal"] = false;
        editSpec?.Invoke(spec);
        File.WriteAllText(specPath, spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return bundle;
    }

    public static ProcessResult Run(string bundle)
    {
        var run = ProcessRunner.Run("runc", ["run", "--bundle", bundle, "msbuild-" + Guid.NewGuid().ToString("N")[..10]], timeout: TimeSpan.FromMinutes(2));
        return run;
    }

    /// <summary>The layer digests of a pushed image, in order.</summary>
    public static List<string> LayerDigests(string imageReference) =>
        Inspect(imageReference)["Layers"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();
}
