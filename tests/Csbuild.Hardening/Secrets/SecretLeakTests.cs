using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Csbuild.Hardening.Support;
using Csbuild.TestSupport;
using Xunit.Abstractions;

namespace Csbuild.Hardening.Secrets;

/// <summary>
/// Issue 11, item 3: build secrets (file and environment) and registry credentials go through login, builds with
/// plain and rawjson progress, a push, a pull, oci and tar outputs, cache exports (registry mode=max with cache mounts,
/// a directory, inline) and a cache import, metadata files and a failing step; then every
/// byte csbuild wrote (the root, the outputs, the registry's storage, all output and error text, with gzip/zstd
/// blobs and tar members read decompressed) is scanned for the sentinel values. None may appear.
/// </summary>
[Collection("csbuild")]
public sealed class SecretLeakTests(BusyboxBase busybox, ITestOutputHelper output)
{
    private const string User = "hardening";

    [Fact]
    public void SecretsAndRegistryCredentials_NeverAppearInAnythingWritten()
    {
        var secret = "csbuild-secret-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var envSecret = "csbuild-env-secret-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var password = "csbuild-password-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var registry = RegistryFixture.Start(new RegistryFixtureOptions { Username = User, Password = password });
        using var dir = new TempDirectory("csbuild-secrets");
        var root = busybox.NewRoot(dir);
        var outputs = dir.Combine("outputs");
        Directory.CreateDirectory(outputs);
        var secretFile = dir.Write("secret-source/token", secret); // outside the context and the root
        var env = new Dictionary<string, string?> { ["DOCKER_CONFIG"] = dir.Combine("docker-config"), ["MY_TOKEN"] = envSecret };
        string[] secrets = ["--secret", $"id=tok,src={secretFile}", "--secret", "id=envtok,env=MY_TOKEN"];
        var texts = new List<(string Label, ProcessResult Result)>();
        ProcessResult Csbuild(string label, params string[] args)
        {
            var result = CsbuildProgram.Run(root, env, args);
            texts.Add((label, result));
            return result;
        }

        var login = CsbuildProgram.RunWithInput(root, env, password, "login", "-u", User, "--password-stdin", registry.Host);
        texts.Add(("login", login));
        Assert.True(login.ExitCode == 0, login.ToString());

        dir.Write("ctx/Dockerfile", """
            FROM busybox:latest
            RUN --mount=type=secret,id=tok --mount=type=secret,id=envtok,env=TOKEN \
                sha256sum /run/secrets/tok | cut -d' ' -f1 > /tok.sum && printf %s "$TOKEN" | sha256sum | cut -d' ' -f1 > /env.sum
            RUN --mount=type=cache,target=/cache echo warm > /cache/warm && echo built > /built
            """);
        var image = registry.Reference("secret/app:1");
        var cacheRef = registry.Reference("secret/app:buildcache");
        string[] cacheTo = ["--cache-to", $"type=registry,ref={cacheRef},mode=max,cache-mounts=true",
            "--cache-to", $"type=local,dest={Path.Combine(outputs, "cache")},mode=max,cache-mounts=true", "--cache-to", "type=inline"];
        var push = Csbuild("build --push --cache-to", ["build", "--progress=plain", .. secrets, .. cacheTo, "-t", image, "--push",
            "--metadata-file", Path.Combine(outputs, "meta.json"), dir.Combine("ctx")]);
        Assert.True(push.ExitCode == 0, push.ToString());
        Assert.Contains("exporting cache to", push.Stderr);

        // An empty root imports that cache (registry and directory) and hits every step.
        var importRoot = busybox.NewRoot(dir, dir.Combine("import-root"));
        var imported = CsbuildProgram.Run(importRoot, env, ["build", "--progress=plain", .. secrets, "--cache-from", $"type=registry,ref={cacheRef}",
            "--cache-from", $"type=local,src={Path.Combine(outputs, "cache")}", dir.Combine("ctx")]);
        texts.Add(("build --cache-from", imported));
        Assert.True(imported.ExitCode == 0, imported.ToString());
        Assert.Contains("CACHED", imported.Stdout + imported.Stderr);

        var tar = Csbuild("build -o tar", ["build", "--progress=rawjson", .. secrets, "-o", $"type=tar,dest={Path.Combine(outputs, "fs.tar")}", dir.Combine("ctx")]);
        Assert.True(tar.ExitCode == 0, tar.ToString());
        AssertSecretsReachedTheStep(Path.Combine(outputs, "fs.tar"), secret, envSecret);

        // A second build starts from the image in the password-protected registry: a pull with the credentials.
        dir.Write("ctx2/Dockerfile", $"""
            FROM {image}
            RUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo second > /second
            """);
        var pulled = Csbuild("build FROM private image -o oci", ["build", "--progress=rawjson", "--pull", .. secrets, "-o", $"type=oci,dest={Path.Combine(outputs, "image.oci.tar")}", "-t", "second:1", dir.Combine("ctx2")]);
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        foreach (var (label, args) in new[] { ("push", new[] { "push", image }), ("pull", ["pull", image]), ("save", ["save", "-o", Path.Combine(outputs, "saved.tar"), image]) })
        {
            var result = Csbuild(label, args);
            Assert.True(result.ExitCode == 0, $"{label}: {result}");
        }

        dir.Write("ctx3/Dockerfile", """
            FROM busybox:latest
            RUN --mount=type=secret,id=tok test "$(cat /run/secrets/tok)" = "not the secret"
            """);
        var failing = Csbuild("failing build", ["build", "--progress=plain", .. secrets, dir.Combine("ctx3")]);
        Assert.NotEqual(0, failing.ExitCode);
        var wrongPassword = CsbuildProgram.RunWithInput(root, new Dictionary<string, string?> { ["DOCKER_CONFIG"] = dir.Combine("other-config") },
            password + "-wrong", "login", "-u", User, "--password-stdin", registry.Host);
        texts.Add(("login with a wrong password", wrongPassword));
        Assert.NotEqual(0, wrongPassword.ExitCode);

        var basicAuth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{password}"));
        var scanner = new LeakScanner([secret, envSecret, password, basicAuth, Convert.ToBase64String(Encoding.UTF8.GetBytes(secret))]);
        scanner.ScanDirectory(root);
        scanner.ScanDirectory(importRoot);
        scanner.ScanDirectory(outputs);
        scanner.ScanDirectory(registry.StorageDirectory);
        foreach (var (label, result) in texts)
        {
            scanner.ScanText(label + " stdout", result.Stdout);
            scanner.ScanText(label + " stderr", result.Stderr);
        }
        scanner.ScanText("registry log", registry.RecentLog);
        output.WriteLine($"scanned {scanner.FilesScanned} files, {scanner.BytesScanned} bytes");
        Assert.Empty(scanner.Findings);
        Assert.True(scanner.BytesScanned > 5_000_000, $"only {scanner.BytesScanned} bytes scanned");
        Figures.Record("bytes scanned for secrets", scanner.BytesScanned);
        Figures.Record("files scanned for secrets", scanner.FilesScanned);
    }

    /// <summary>The step saw both secrets (their hashes are in the output), so the scan looks for values that were really used.</summary>
    private static void AssertSecretsReachedTheStep(string tarPath, string secret, string envSecret)
    {
        var files = new Dictionary<string, string>();
        using (var reader = new TarReader(File.OpenRead(tarPath)))
            while (reader.GetNextEntry() is { } entry)
                if (entry.DataStream is { } data && entry.Name.TrimStart('.', '/') is "tok.sum" or "env.sum")
                    files[entry.Name.TrimStart('.', '/')] = new StreamReader(data).ReadToEnd().Trim();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), files["tok.sum"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(envSecret))), files["env.sum"]);
    }
}
