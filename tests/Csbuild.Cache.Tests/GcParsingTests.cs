using Csbuild.Cache.Gc;

namespace Csbuild.Cache.Tests;

public sealed class GcParsingTests
{
    [Theory]
    [InlineData("100", 100)]
    [InlineData("512MB", 512_000_000)]
    [InlineData("10gb", 10_000_000_000)]
    [InlineData("1.5GiB", 1_610_612_736)]
    [InlineData("64k", 64_000)]
    [InlineData(" 2 MiB ", 2_097_152)]
    public void ByteSize_ParsesUnits(string text, long expected) => Assert.Equal(expected, ByteSize.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("-1GB")]
    [InlineData("ten")]
    [InlineData("5XB")]
    public void ByteSize_RejectsNonsense(string text) => Assert.Throws<FormatException>(() => ByteSize.Parse(text));

    [Theory]
    [InlineData("24h", 24 * 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("2.5h", 9000)]
    [InlineData("10s", 10)]
    [InlineData("90m", 5400)]
    public void GoDuration_ParsesDockerUntilValues(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), GoDuration.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("24")]
    [InlineData("1d")]
    [InlineData("h")]
    public void GoDuration_RejectsNonsense(string text) => Assert.Throws<FormatException>(() => GoDuration.Parse(text));

    [Fact]
    public void ProcessIdentity_KnowsThisProcess_AndRejectsAReusedPid()
    {
        var me = ProcessIdentity.Current;
        Assert.True(me.StartTicks > 0);
        Assert.True(me.IsAlive);
        Assert.False((me with { StartTicks = me.StartTicks + 1 }).IsAlive);
        Assert.Null(ProcessIdentity.Of(int.MaxValue));
    }

    [Fact]
    public void DefaultBudget_IsATenthOfTheFilesystem_AtMost20GB()
    {
        var budget = CacheGc.DefaultBudget(Path.GetTempPath());
        Assert.InRange(budget, 1, 20L * 1000 * 1000 * 1000);
    }

    [Fact]
    public void ConfiguredBudget_ReadsTheEnvironment()
    {
        var saved = Environment.GetEnvironmentVariable(CacheGc.BudgetVariable);
        try
        {
            Environment.SetEnvironmentVariable(CacheGc.BudgetVariable, "512MB");
            Assert.Equal(512_000_000, CacheGc.ConfiguredBudget("/"));
            Environment.SetEnvironmentVariable(CacheGc.BudgetVariable, "off");
            Assert.Null(CacheGc.ConfiguredBudget("/"));
            Environment.SetEnvironmentVariable(CacheGc.BudgetVariable, "plenty");
            Assert.Contains(CacheGc.BudgetVariable, Assert.Throws<FormatException>(() => CacheGc.ConfiguredBudget("/")).Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CacheGc.BudgetVariable, saved);
        }
    }
}
