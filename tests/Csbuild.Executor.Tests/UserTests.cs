namespace Csbuild.Executor.Tests;

[Collection(ContainerCollection.Name)]
public sealed class UserTests(ContainerFixture fixture)
{
    private const string ShowIdentity = "echo \"$(id -u) $(id -g) [$(id -G)] $HOME\"";

    [Theory]
    [InlineData("", "0 0 [0] /root")]
    [InlineData("root", "0 0 [0] /root")]
    [InlineData("app", "1000 1000 [1000 50] /home/app")]
    [InlineData("1000", "1000 1000 [1000 50] /home/app")]
    [InlineData("app:staff", "1000 50 [50] /home/app")]
    [InlineData("app:0", "1000 0 [0] /home/app")]
    [InlineData("1000:1000", "1000 1000 [1000] /home/app")]
    [InlineData("nobody", "65534 65534 [65534] /nonexistent")]
    [InlineData("1234", "1234 0 [0] /")]
    [InlineData("1234:5678", "1234 5678 [5678] /")]
    public async Task UserIsResolvedFromTheImagesPasswdAndGroupFiles(string user, string expected)
    {
        var run = (await fixture.RunAsync(ShowIdentity, request => request with { User = user })).AssertSucceeded();

        Assert.Equal(expected, run.Stdout);
    }

    [Fact]
    public async Task UnknownUserNameFailsWithDockersMessage()
    {
        var error = await Assert.ThrowsAsync<ExecutorException>(() =>
            fixture.RunAsync("true", request => request with { User = "ghost" }));

        Assert.Equal("unable to find user ghost: no matching entries in passwd file", error.Message);
        Assert.Empty(fixture.LeftoverMounts());
    }

    [Fact]
    public async Task UnknownGroupNameFailsWithDockersMessage()
    {
        var error = await Assert.ThrowsAsync<ExecutorException>(() =>
            fixture.RunAsync("true", request => request with { User = "app:wheel" }));

        Assert.Equal("unable to find group wheel: no matching entries in group file", error.Message);
    }

    [Fact]
    public async Task MissingWorkingDirectoryIsCreatedForTheUser()
    {
        var run = (await fixture.RunAsync("stat -c '%u:%g' /srv/app; touch file && echo written",
            request => request with { User = "app", WorkingDir = "/srv/app" })).AssertSucceeded();

        // /srv did not exist either: every created component belongs to the user, as BuildKit does it.
        Assert.Equal(["1000:1000", "written"], run.StdoutLines);
        Assert.True(File.Exists(Path.Combine(run.Step.Upper, "srv/app/file")));
    }

    [Fact]
    public async Task ExistingWorkingDirectoryKeepsItsOwner()
    {
        var run = (await fixture.RunAsync("stat -c '%u:%g' .; touch x 2>/dev/null || echo denied",
            request => request with { User = "app", WorkingDir = "/etc" })).AssertSucceeded();

        Assert.Equal(["0:0", "denied"], run.StdoutLines);
    }
}
