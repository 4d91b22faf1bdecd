namespace Csbuild.Frontend.Tests.Context;

public class DockerIgnoreTests
{
    [Fact]
    public void Comments_blank_lines_and_blanks_are_dropped_and_paths_cleaned()
    {
        var patterns = DockerIgnore.Parse("# comment\n\n  *.log  \n/build/\n!  keep.log\n./a/../b\r\n   # not a comment\n");
        Assert.Equal(["*.log", "build", "!keep.log", "b", "# not a comment"], patterns);
    }

    [Fact]
    public void Dockerfile_specific_ignore_file_wins_over_the_context_one()
    {
        var dir = Directory.CreateTempSubdirectory("csbuild-ignore-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, ".dockerignore"), "from-root\n");
            var dockerfile = Path.Combine(dir.FullName, "app.Dockerfile");
            File.WriteAllText(dockerfile, "FROM scratch\n");
            Assert.Equal(["from-root"], DockerIgnore.Read(dir.FullName, dockerfile));
            File.WriteAllText(dockerfile + ".dockerignore", "beside\n");
            Assert.Equal(["beside"], DockerIgnore.Read(dir.FullName, dockerfile));
            Assert.Equal(["from-root"], DockerIgnore.Read(dir.FullName));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void No_ignore_file_means_no_patterns()
    {
        var dir = Directory.CreateTempSubdirectory("csbuild-ignore-");
        try
        {
            Assert.Empty(DockerIgnore.Read(dir.FullName, Path.Combine(dir.FullName, "Dockerfile")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
