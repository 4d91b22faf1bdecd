using Csbuild.Containers.Image;

namespace Csbuild.Containers.Layers;

/// <summary>One layer to add on top of the base image: a name for logs and history, and publish-relative paths.</summary>
public sealed record LayerPlan(string Name, IReadOnlyList<string> Files, IReadOnlyList<string> EmptyDirectories);

/// <summary>
/// Splits the publish directory into layers, least often changing first (as Jib does): NuGet dependencies, then
/// project references, then the application's own files. A code change then rebuilds and pushes only the last one.
/// </summary>
public static class LayerPlanner
{
    public static IReadOnlyList<LayerPlan> Plan(string publishDirectory, IReadOnlyList<PublishFile> knownFiles, ContainerLayering layering)
    {
        var root = Path.GetFullPath(publishDirectory);
        if (!Directory.Exists(root))
            throw new ContainerBuildException(ContainerDiagnostic.PublishOutputMissing, $"publish directory '{root}' does not exist; run Publish first");

        var origins = new Dictionary<string, PublishFileOrigin>(StringComparer.Ordinal);
        foreach (var file in knownFiles) origins[Normalize(file.RelativePath)] = file.Origin;

        var groups = new Dictionary<PublishFileOrigin, List<string>>
        {
            [PublishFileOrigin.NuGetPackage] = [],
            [PublishFileOrigin.ProjectReference] = [],
            [PublishFileOrigin.Application] = [],
        };
        var emptyDirectories = new List<string>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, ReturnSpecialDirectories = false };
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            var relative = Normalize(Path.GetRelativePath(root, entry.FullName));
            if (entry is DirectoryInfo directory && directory.LinkTarget is null)
            {
                if (!directory.EnumerateFileSystemInfos().Any()) emptyDirectories.Add(relative);
                continue;
            }
            var origin = layering == ContainerLayering.Single ? PublishFileOrigin.Application
                : origins.GetValueOrDefault(relative, PublishFileOrigin.Application);
            groups[origin].Add(relative);
        }
        if (groups.Values.All(g => g.Count == 0))
            throw new ContainerBuildException(ContainerDiagnostic.PublishOutputMissing, $"publish directory '{root}' is empty; run Publish first");

        emptyDirectories.Sort(StringComparer.Ordinal);
        var plans = new List<LayerPlan>(3);
        void Add(string name, PublishFileOrigin origin, IReadOnlyList<string> directories)
        {
            var files = groups[origin];
            if (files.Count == 0 && directories.Count == 0) return;
            files.Sort(StringComparer.Ordinal);
            plans.Add(new LayerPlan(name, files, directories));
        }
        Add("dependencies", PublishFileOrigin.NuGetPackage, []);
        Add("project references", PublishFileOrigin.ProjectReference, []);
        Add(layering == ContainerLayering.Single ? "publish output" : "application", PublishFileOrigin.Application, emptyDirectories);
        return plans;
    }

    private static string Normalize(string relativePath) => relativePath.Replace('\\', '/').TrimStart('/');
}
