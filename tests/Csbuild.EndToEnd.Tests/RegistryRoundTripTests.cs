using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Csbuild.Cache;
using Csbuild.Frontend;
using Csbuild.Oci.Model;
using Csbuild.Oci.Registry;
using Csbuild.Solver;
using Csbuild.Solver.Export;
using Csbuild.Solver.Graph;
using Csbuild.Solver.Progress;
using Csbuild.Solver.Registry;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// Push and pull between csbuild roots and a real registry (Debian's docker-registry on 127.0.0.1), checked with
/// skopeo and with the registry's own access log. Each test uses its own repository.
/// </summary>
[Collection("busybox")]
public sealed class RegistryRoundTripTests(BusyboxStoreFixture busybox, RegistryRoundTripTests.Registry registry) : IClassFixture<RegistryRoundTripTests.Registry>
{
    /// <summary>One plain-HTTP registry shared by the tests of this class.</summary>
    public sealed class Registry : RegistryFixture;

    [Fact]
    public void Push_IsReadBySkopeo_AndASecondPushUploadsNothing()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var destination = registry.Reference("e2e/push:1");

        var push = CsbuildProgram.Run(root, "push", "busybox:latest", destination);
        Assert.True(push.ExitCode == 0, push + "\n" + registry.RecentLog);
        var localDigest = LocalDigest(root, "busybox:latest");
        Assert.Contains($"digest: {localDigest}", push.Stdout);
        Assert.Contains(": Pushed", push.Stdout);

        var inspect = ProcessRunner.Run("skopeo", "inspect", "--tls-verify=false", "docker://" + destination);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        var info = JsonNode.Parse(inspect.Stdout)!;
        Assert.Equal(localDigest.ToString(), info["Digest"]!.GetValue<string>());
        Assert.Single(info["Layers"]!.AsArray());

        int uploadsBefore = BlobUploads("e2e/push");
        Assert.True(uploadsBefore >= 2, $"expected the config and the layer to be uploaded:\n{registry.RecentLog}"); // config + layer
        int manifestPutsBefore = Requests("PUT", "e2e/push/manifests/"), blobChecksBefore = Requests("HEAD", "e2e/push/blobs/");
        var again = CsbuildProgram.Run(root, "push", "busybox:latest", destination);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(uploadsBefore, BlobUploads("e2e/push"));
        // The tag already names this manifest: one HEAD of it, no blob checks, no manifest upload.
        Assert.Equal(manifestPutsBefore, Requests("PUT", "e2e/push/manifests/"));
        Assert.Equal(blobChecksBefore, Requests("HEAD", "e2e/push/blobs/"));
        Assert.DoesNotContain(": Pushed", again.Stdout);
        Assert.Contains("Layer already exists", again.Stdout);
        Assert.Contains($"digest: {localDigest}", again.Stdout);
    }

    /// <summary>
    /// Layers a build makes are stored uncompressed (the blob is the tar: its digest is the diff_id) and pushed
    /// gzip-compressed, straight into the upload (nothing compressed is written to the store). The digests are
    /// remembered: a second push is one request; a push elsewhere compresses again into the same blobs; `build --push`
    /// of the same build gives the very manifest `push` gave. What arrives unpacks (umoci) into the files the build wrote.
    /// </summary>
    [Fact]
    public void BuiltLayers_AreStoredUncompressed_AndPushedGzipCompressedOnce()
    {
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        dir.Write("ctx/Dockerfile", "FROM busybox:latest\nCOPY words.txt /srv/words.txt\nRUN cp /srv/words.txt /srv/copy.txt\n");
        dir.Write("ctx/words.txt", string.Concat(Enumerable.Range(0, 20_000).Select(i => $"word{i % 97} ")));
        var build = CsbuildProgram.Run(root, "build", "--progress=plain", "-t", "layers:1", dir.Combine("ctx"));
        Assert.True(build.ExitCode == 0, build.ToString());

        Digest local;
        List<string> diffIds;
        using (var store = CsbuildRoot.Open(root))
        {
            local = LocalDigest(store, "layers:1");
            var manifest = store.Images.ReadManifest(local);
            diffIds = OciJson.DeserializeConfig(store.Content.ReadAllBytes(Digest.Parse(manifest.Config.Digest))).RootFs.DiffIds;
            Assert.Equal([MediaTypes.OciLayerGzip, MediaTypes.OciLayer, MediaTypes.OciLayer], manifest.Layers.Select(l => l.MediaType));
            Assert.Equal(diffIds.Skip(1), manifest.Layers.Skip(1).Select(l => l.Digest));
        }

        var destination = registry.Reference("e2e/layers:1");
        var blobsBefore = Directory.GetFiles(Path.Combine(root, "blobs", "sha256")).Length;
        var push = CsbuildProgram.Run(root, "push", "layers:1", destination);
        Assert.True(push.ExitCode == 0, push.ToString());
        var remote = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--tls-verify=false", "docker://" + destination)).Stdout)!;
        var pushed = remote["Digest"]!.GetValue<string>();
        Assert.NotEqual(local.ToString(), pushed);
        Assert.Contains($"digest: {pushed}", push.Stdout);
        var remoteManifest = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + destination)).Stdout)!;
        Assert.All(remoteManifest["layers"]!.AsArray(), l => Assert.Equal(MediaTypes.OciLayerGzip, l!["mediaType"]!.GetValue<string>()));
        var remoteConfig = JsonNode.Parse(Ok(ProcessRunner.Run("skopeo", "inspect", "--config", "--tls-verify=false", "docker://" + destination)).Stdout)!;
        Assert.Equal(diffIds, remoteConfig["rootfs"]!["diff_ids"]!.AsArray().Select(d => d!.GetValue<string>()));
        var layout = dir.Combine("pulled");
        Ok(ProcessRunner.Run("skopeo", "copy", "--src-tls-verify=false", "docker://" + destination, $"oci:{layout}:pulled"));
        Ok(ProcessRunner.Run("umoci", "unpack", "--image", $"{layout}:pulled", dir.Combine("bundle")));
        Assert.Equal(File.ReadAllText(dir.Combine("ctx/words.txt")), File.ReadAllText(dir.Combine("bundle", "rootfs", "srv", "copy.txt")));

        // Only the rewritten manifest joined the store; the compressed layers went to the registry alone.
        Assert.Equal(blobsBefore + 1, Directory.GetFiles(Path.Combine(root, "blobs", "sha256")).Length);
        var repeat = CsbuildProgram.Run(root, "push", "layers:1", destination);
        Assert.True(repeat.ExitCode == 0, repeat.ToString());
        Assert.DoesNotContain(": Pushed", repeat.Stdout);
        Assert.Contains($"digest: {pushed}", repeat.Stdout);

        // Pushed elsewhere: compressed again, into the very same blobs.
        var again = CsbuildProgram.Run(root, "push", "layers:1", registry.Reference("e2e/layers-again:1"));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains(": Pushed", again.Stdout);
        Assert.Contains($"digest: {pushed}", again.Stdout);

        // A build that pushes exports the same compressed form itself.
        var buildPush = CsbuildProgram.Run(root, "build", "--progress=plain", "--push",
            "-t", registry.Reference("e2e/layers-built:1"), dir.Combine("ctx"));
        Assert.True(buildPush.ExitCode == 0, buildPush.ToString());
        Assert.Contains($"done: {pushed}", buildPush.Stderr);
    }

    private static ProcessResult Ok(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    [Fact]
    public void Pull_IntoAnEmptyRoot_StoresTheSameManifest_AndNamesIt()
    {
        using var dir = new TempDirectory();
        var source = busybox.NewRootWithBusybox(dir);
        var reference = registry.Reference("e2e/pull:1");
        var push = CsbuildProgram.Run(source, "push", "busybox:latest", reference);
        Assert.True(push.ExitCode == 0, push.ToString());

        var empty = dir.Combine("root-b");
        var pull = CsbuildProgram.Run(empty, "pull", reference);
        Assert.True(pull.ExitCode == 0, pull + "\n" + registry.RecentLog);
        var digest = LocalDigest(source, "busybox:latest");
        Assert.Equal(digest, LocalDigest(empty, reference));
        Assert.Contains($"Digest: {digest}", pull.Stdout);
        Assert.Contains("Pull complete", pull.Stdout);
        Assert.Contains("Downloaded newer image", pull.Stdout);

        // The pulled image is a complete image of root B's OCI layout, as other tools see it.
        var inspect = ProcessRunner.Run("skopeo", "inspect", $"oci:{empty}:{reference}");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Equal(digest.ToString(), JsonNode.Parse(inspect.Stdout)!["Digest"]!.GetValue<string>());

        var again = CsbuildProgram.Run(empty, "pull", reference);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Already exists", again.Stdout);
        Assert.Contains("Image is up to date", again.Stdout);

        var images = CsbuildProgram.Run(empty, "images");
        Assert.Contains(registry.Reference("e2e/pull"), images.Stdout);
    }

    [Fact]
    public void Pull_OfADockerSchema2Image_KeepsItsMediaTypeAndDigest()
    {
        using var dir = new TempDirectory();
        var source = busybox.NewRootWithBusybox(dir);
        var reference = registry.Reference("e2e/schema2:1");
        var copy = ProcessRunner.Run("skopeo", "copy", "--format", "v2s2", "--dest-tls-verify=false", $"oci:{source}:busybox:latest", "docker://" + reference);
        Assert.True(copy.ExitCode == 0, copy.ToString());
        var remote = JsonNode.Parse(ProcessRunner.Run("skopeo", "inspect", "--tls-verify=false", "docker://" + reference).Stdout)!;

        var target = dir.Combine("root-b");
        var pull = CsbuildProgram.Run(target, "pull", reference);
        Assert.True(pull.ExitCode == 0, pull.ToString());
        using var root = CsbuildRoot.Open(target);
        var record = root.Images.Find(reference)!;
        Assert.Equal(MediaTypes.DockerManifest, record.MediaType);
        Assert.Equal(remote["Digest"]!.GetValue<string>(), record.ManifestDigest.ToString());

        // Pushed back to another repository, it stays a schema2 manifest with the same digest.
        var copyBack = CsbuildProgram.Run(target, "push", reference, registry.Reference("e2e/schema2-copy:1"));
        Assert.True(copyBack.ExitCode == 0, copyBack.ToString());
        var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + registry.Reference("e2e/schema2-copy:1"));
        Assert.Equal(MediaTypes.DockerManifest, JsonNode.Parse(raw.Stdout)!["mediaType"]!.GetValue<string>());
        Assert.Contains($"digest: {record.ManifestDigest}", copyBack.Stdout);
    }

    [Fact]
    public async Task Pull_ThroughAnIndex_PicksThePlatform_AndRefusesAMissingOne()
    {
        using var dir = new TempDirectory();
        var source = busybox.NewRootWithBusybox(dir);
        var single = registry.Reference("e2e/multi:single");
        Assert.Equal(0, CsbuildProgram.Run(source, "push", "busybox:latest", single).ExitCode);
        var manifestDigest = LocalDigest(source, "busybox:latest");
        long manifestSize;
        using (var sourceRoot = CsbuildRoot.Open(source)) manifestSize = sourceRoot.Content.Size(manifestDigest);

        // An index offering only linux/amd64, pointing at the manifest just pushed.
        var index = new ImageIndex
        {
            Manifests = [new Descriptor { MediaType = MediaTypes.OciManifest, Digest = manifestDigest.ToString(), Size = manifestSize,
                Platform = new Platform { Os = "linux", Architecture = "amd64" } }],
        };
        var indexBytes = OciJson.Serialize(index);
        using var client = new RegistryClient(registry.CreateClientOptions());
        await client.PutManifestAsync(ImageReference.Parse(registry.Reference("e2e/multi:1")), indexBytes, MediaTypes.OciIndex);

        var target = dir.Combine("root-b");
        var pull = CsbuildProgram.Run(target, "pull", "--platform", "linux/amd64", registry.Reference("e2e/multi:1"));
        Assert.True(pull.ExitCode == 0, pull.ToString());
        using (var root = CsbuildRoot.Open(target))
        {
            Assert.Equal(manifestDigest, root.Images.Find(registry.Reference("e2e/multi:1"))!.ManifestDigest);
            Assert.True(root.Content.Exists(Digest.Of(indexBytes)), "the index itself is kept in the content store");
        }

        var wrong = CsbuildProgram.Run(dir.Combine("root-c"), "pull", "--platform", "linux/arm64", registry.Reference("e2e/multi:1"));
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("no manifest for platform linux/arm64", wrong.Stderr);
        Assert.Contains("linux/amd64", wrong.Stderr);
    }

    [Fact]
    public void PullAndPush_ReportRegistryErrorsOnOneLine()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("root");

        var missing = CsbuildProgram.Run(root, "pull", registry.Reference("e2e/absent:1"));
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error: ", missing.Stderr);
        Assert.Contains("MANIFEST_UNKNOWN", missing.Stderr);
        Assert.Single(missing.Stderr.TrimEnd().Split('\n'));

        var notLocal = CsbuildProgram.Run(root, "push", "nothing-here:1", registry.Reference("e2e/nothing:1"));
        Assert.Equal(1, notLocal.ExitCode);
        Assert.Contains("not in the local image store", notLocal.Stderr);

        var badName = CsbuildProgram.Run(root, "pull", "app:-bad");
        Assert.Equal(2, badName.ExitCode);
        Assert.Contains("invalid reference format", badName.Stderr);
    }

    [Fact]
    public async Task Resolver_PullsAnAbsentBaseImage_AndExplainsUnknownOrUnreachableOnes()
    {
        using var dir = new TempDirectory();
        var source = busybox.NewRootWithBusybox(dir);
        var reference = registry.Reference("e2e/resolve:1");
        Assert.Equal(0, CsbuildProgram.Run(source, "push", "busybox:latest", reference).ExitCode);
        var expected = LocalDigest(source, "busybox:latest");

        using var root = CsbuildRoot.Open(dir.Combine("root-b"));
        using var client = new RegistryClient(registry.CreateClientOptions() with { Retry = new RetryPolicy { MaxAttempts = 1 } });
        var transfers = new List<BlobTransfer>();
        var resolver = new RegistryImageResolver(root, client, new RegistryImageResolverOptions
        {
            Progress = new SynchronousProgress<BlobTransfer>(transfers.Add),
        });

        var resolved = await resolver.ResolveAsync(reference, "linux/amd64", CancellationToken.None);
        Assert.Equal(expected, resolved.ManifestDigest);
        Assert.Single(resolved.Config.RootFs.DiffIds);
        Assert.Equal(expected, root.Images.Find(reference)!.ManifestDigest);
        Assert.Equal(2, transfers.Count(t => t.State == BlobTransferState.Completed)); // config + layer

        // Already local: a second resolver answers from the store without fetching a blob.
        transfers.Clear();
        var local = new RegistryImageResolver(root, client, new RegistryImageResolverOptions { Progress = new SynchronousProgress<BlobTransfer>(transfers.Add) });
        Assert.Equal(expected, (await local.ResolveAsync(reference, null, CancellationToken.None)).ManifestDigest);
        Assert.Empty(transfers);

        // --pull goes to the registry anyway, finding the blobs already present.
        var always = new RegistryImageResolver(root, client, new RegistryImageResolverOptions
        {
            AlwaysPull = true,
            Progress = new SynchronousProgress<BlobTransfer>(transfers.Add),
        });
        Assert.Equal(expected, (await always.ResolveAsync(reference, null, CancellationToken.None)).ManifestDigest);
        Assert.All(transfers, t => Assert.Equal(BlobTransferState.AlreadyExists, t.State));
        Assert.Equal(2, transfers.Count);

        var unknown = await Assert.ThrowsAsync<ImageNotFoundException>(() =>
            resolver.ResolveAsync(registry.Reference("e2e/unknown:1"), null, CancellationToken.None));
        Assert.Contains("not in the local store, and the registry does not have it", unknown.Message);

        var unreachableHost = $"127.0.0.1:{UnusedPort()}";
        var unreachable = await Assert.ThrowsAsync<ImageNotFoundException>(() =>
            resolver.ResolveAsync(unreachableHost + "/app:1", null, CancellationToken.None));
        Assert.Contains("could not be reached", unreachable.Message);
        Assert.Contains(unreachableHost, unreachable.Message);
    }

    /// <summary>
    /// A Dockerfile whose FROM names an image only the registry has: the build pulls it and runs a step on it.
    /// Driven through the solver API with <see cref="RegistryImageResolver"/>, as the build command does.
    /// </summary>
    [Fact]
    public async Task Build_FromARegistryImage_PullsItAndRunsOnIt()
    {
        using var dir = new TempDirectory();
        var source = busybox.NewRootWithBusybox(dir);
        var reference = registry.Reference("e2e/base:1");
        Assert.Equal(0, CsbuildProgram.Run(source, "push", "busybox:latest", reference).ExitCode);
        dir.Write("ctx/Dockerfile", $"FROM {reference}\nRUN echo built-on-pulled-base > /built.txt\n");
        var context = dir.Combine("ctx");

        using var root = CsbuildRoot.Open(dir.Combine("root-b"));
        using var client = new RegistryClient(registry.CreateClientOptions());
        var images = new RegistryImageResolver(root, client);
        var request = new FrontendRequest
        {
            DockerfileText = File.ReadAllText(Path.Combine(context, "Dockerfile")),
            Context = new LocalSource(context, DockerIgnore.Read(context)),
        };
        var graph = await DockerfileFrontend.ConvertAsync(request, images, CancellationToken.None);
        var solver = new BuildSolver(root, graph, images, new SolveOptions(), NullProgressSink.Instance);
        var output = await solver.SolveAsync(CancellationToken.None);
        var result = await new ImageExporter(root).ExportAsync(graph, solver, output, ["built:1"], null, CancellationToken.None);

        using (var sourceRoot = CsbuildRoot.Open(source))
        {
            var baseManifest = sourceRoot.Images.ReadManifest(LocalDigest(sourceRoot, "busybox:latest"));
            Assert.Equal(2, result.ImageManifest.Layers.Count);
            Assert.Equal(baseManifest.Layers[0].Digest, result.ImageManifest.Layers[0].Digest);
        }

        // umoci unpacks the built image from root B's layout; the RUN step's file is there.
        var bundle = dir.Combine("bundle");
        var unpack = ProcessRunner.Run("umoci", "unpack", "--image", $"{root.Path}:built:1", bundle);
        Assert.True(unpack.ExitCode == 0, unpack.ToString());
        Assert.Equal("built-on-pulled-base\n", File.ReadAllText(Path.Combine(bundle, "rootfs", "built.txt")));
    }

    private static Digest LocalDigest(string rootPath, string name)
    {
        using var root = CsbuildRoot.Open(rootPath);
        return LocalDigest(root, name);
    }

    private static Digest LocalDigest(CsbuildRoot root, string name) =>
        (root.Images.Find(name) ?? throw new InvalidOperationException($"{name} is not in {root.Path}")).ManifestDigest;

    /// <summary>Completed blob uploads into a repository, from the registry's access log ("PUT /v2/REPO/blobs/uploads/...").</summary>
    private int BlobUploads(string repository) =>
        Regex.Matches(registry.RecentLog, $"\"PUT /v2/{Regex.Escape(repository)}/blobs/uploads/[^\"]*\" 201").Count;

    private int Requests(string method, string pathPrefix) =>
        Regex.Matches(registry.RecentLog, $"\"{method} /v2/{Regex.Escape(pathPrefix)}[^\"]*\" 20").Count;

    private static int UnusedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
