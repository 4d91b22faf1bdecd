using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Conversion;

public class AddSymbolicModeTests
{
    private static uint Apply(string mode, uint from, bool directory = false) =>
        (SymbolicMode.TryParse(mode, out var error) ?? throw new Xunit.Sdk.XunitException(error)).Apply(from, directory);

    [Theory]
    [InlineData("u+x", 0x1A4u, 0x1E4u)]          // 0644 → 0744
    [InlineData("u+x,g-w", 0x1B4u, 0x1E4u)]      // 0664 → 0744
    [InlineData("a=rX", 0x1FFu, 0x16Du)]         // 0777 → 0555: X grants execute, the file had some
    [InlineData("go-rwx", 0x1FFu, 0x1C0u)]       // 0777 → 0700
    [InlineData("+x", 0x1A4u, 0x1EDu)]           // 0644 → 0755 (no who: everyone)
    [InlineData("o=", 0x1FFu, 0x1F8u)]           // 0777 → 0770
    [InlineData("u=rw,go=r", 0x1FFu, 0x1A4u)]    // → 0644
    [InlineData("u+s,+t", 0x1EDu, 0xBEDu)]       // 0755 → 4755 + sticky = 05755
    [InlineData("u+x-w", 0x1A4u, 0x164u)]        // 0644 → 0544
    public void Symbolic_modes_apply_like_chmod(string mode, uint from, uint expected)
        => Assert.Equal(expected, Apply(mode, from));

    [Fact]
    public void Capital_x_grants_execute_to_directories_and_executables_only()
    {
        Assert.Equal(0x1A4u, Apply("a+X", 0x1A4));                    // 0644 file stays 0644
        Assert.Equal(0x1EDu, Apply("a+X", 0x1A4, directory: true));   // 0644 dir → 0755
        Assert.Equal(0x1EDu, Apply("a+X", 0x1E4));                    // 0744 file → 0755
    }

    [Theory]
    [InlineData("", "has no operator")]
    [InlineData("u", "has no operator")]
    [InlineData("u+q", "is not a permission")]
    [InlineData("g=u", "is not a permission")]
    [InlineData("z+x", "unexpected 'z'")]
    public void Malformed_symbolic_modes_are_rejected(string mode, string reason)
    {
        Assert.Null(SymbolicMode.TryParse(mode, out var error));
        Assert.Contains(reason, error);
    }
}
