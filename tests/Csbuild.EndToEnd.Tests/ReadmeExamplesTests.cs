using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Csbuild.TestSupport;

namespace Csbuild.EndToEnd.Tests;

/// <summary>
/// Runs the documentation's examples so they cannot rot. A fenced shell block (<c>```sh</c>, <c>```bash</c>,
/// <c>```shell</c>) is runnable when the line above it (blank lines aside) is the marker
/// <c>&lt;!-- test:run --&gt;</c> or <c>&lt;!-- test:run cwd=DIR --&gt;</c>. Each block runs as one
/// <c>sh -e</c> script, against a fresh root whose only image is <c>busybox:latest</c>, in a copy of DIR
/// (a path in the repository; default <c>examples/hello</c>), with <c>csbuild</c> on the PATH.
/// </summary>
[Collection("busybox")]
public sealed partial class ReadmeExamplesTests(BusyboxStoreFixture busybox)
{
    /// <summary>The documents whose marked blocks are run: the README and the reference in docs/.</summary>
    public static IEnumerable<string> Documents() =>
        [Path.Combine(RepositoryRoot(), "README.md"), .. Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "docs"), "*.md").Order(StringComparer.Ordinal)];

    public static TheoryData<string, int> MarkedBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var document in Documents())
            foreach (var block in ExampleBlocks.Parse(File.ReadAllText(document)))
                data.Add(Path.GetRelativePath(RepositoryRoot(), document), block.Line);
        return data;
    }

    [Fact]
    public void The_readme_marks_runnable_examples()
    {
        var blocks = ExampleBlocks.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")));
        Assert.True(blocks.Count > 0, "README.md has no <!-- test:run --> block: mark its runnable shell examples so this test runs them");
    }

    [Theory]
    [MemberData(nameof(MarkedBlocks))]
    public void Marked_example_runs(string document, int line)
    {
        var block = ExampleBlocks.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), document))).Single(b => b.Line == line);
        using var dir = new TempDirectory();
        var root = busybox.NewRootWithBusybox(dir);
        var work = dir.Combine("work");
        CopyTree(Path.Combine(RepositoryRoot(), block.WorkingDirectory), work);
        var bin = dir.Combine("bin");
        CsbuildExecutable.WriteShim(bin);

        var result = ProcessRunner.Run("sh", ["-e", "-x", "-c", block.Script], workingDirectory: work, environment: new Dictionary<string, string?>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["CSBUILD_ROOT"] = root,
            ["NO_COLOR"] = "1",
            ["CI"] = "true",
            ["HOME"] = dir.Path,
        }, timeout: TimeSpan.FromMinutes(10));
        Assert.True(result.ExitCode == 0, $"{document}:{line}: the example failed\n{result}");
    }

    [Fact]
    public void Markers_are_read_with_their_working_directory_and_unmarked_blocks_are_skipped()
    {
        var blocks = ExampleBlocks.Parse("""
            text
            ```sh
            not run
            ```
            <!-- test:run -->

            ```sh
            csbuild images
            ```
            <!-- test:run cwd=examples/other -->
            ```bash
            a
            b
            ```
            """.Replace("\r\n", "\n"));
        Assert.Equal(2, blocks.Count);
        Assert.Equal((7, "examples/hello", "csbuild images\n"), (blocks[0].Line, blocks[0].WorkingDirectory, blocks[0].Script));
        Assert.Equal(("examples/other", "a\nb\n"), (blocks[1].WorkingDirectory, blocks[1].Script));
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var target = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
        foreach (var sub in Directory.EnumerateDirectories(from)) CopyTree(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    /// <summary>The repository this test was compiled from (the build output may live elsewhere, e.g. under --artifacts-path).</summary>
    private static string RepositoryRoot([CallerFilePath] string source = "")
    {
        for (var dir = Path.GetDirectoryName(source); dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "Builder.sln"))) return dir;
        throw new InvalidOperationException($"no Builder.sln above {source}");
    }
}

/// <summary>The runnable blocks of a markdown document (see <see cref="ReadmeExamplesTests"/>).</summary>
internal static partial class ExampleBlocks
{
    public sealed record Block(int Line, string WorkingDirectory, string Script);

    public static List<Block> Parse(string markdown)
    {
        var lines = markdown.Split('\n');
        var blocks = new List<Block>();
        string? pending = null; // the cwd of a marker waiting for its block
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var marker = Marker().Match(line.Trim());
            if (marker.Success)
            {
                pending = marker.Groups[1].Success ? marker.Groups[1].Value : "examples/hello";
                continue;
            }
            if (line.Trim().Length == 0) continue;
            var isFence = Fence().IsMatch(line);
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                var start = i + 1;
                var end = start;
                while (end < lines.Length && !lines[end].TrimEnd('\r').StartsWith("```", StringComparison.Ordinal)) end++;
                if (pending is not null && isFence)
                    blocks.Add(new Block(i + 1, pending, string.Concat(lines[start..end].Select(l => l.TrimEnd('\r') + "\n"))));
                i = end;
            }
            pending = null;
        }
        return blocks;
    }

    [GeneratedRegex(@"^<!--\s*test:run(?:\s+cwd=(\S+))?\s*-->$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^```(sh|bash|shell)\s*$")]
    private static partial Regex Fence();
}
