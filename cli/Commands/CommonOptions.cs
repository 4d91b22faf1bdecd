using System.CommandLine;
using Csbuild.Cache;
using Csbuild.Cache.Gc;

namespace Csbuild.Cli.Commands;

internal static class CommonOptions
{
    /// <summary><c>--root</c>, accepted by every command.</summary>
    public static readonly Option<string?> Root = new("--root")
    {
        Description = "State directory (default: $CSBUILD_ROOT; /var/lib/csbuild as root, else $XDG_DATA_HOME/csbuild)",
        Recursive = true,
    };

    /// <summary>Opens the root; a command that only reads it passes <see cref="LeaseRegistration.OnFirstLease"/>.</summary>
    public static CsbuildRoot OpenRoot(ParseResult parse, LeaseRegistration registration = LeaseRegistration.AtOpen)
    {
        // --root, then CSBUILD_ROOT, then the config files, then the default for this user.
        var path = parse.GetValue(Root) ?? Config.CsbuildConfig.Load().Root.Value;
        try
        {
            return CsbuildRoot.Open(path, registration);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException($"cannot use state directory {path}: {e.Message} (run as root or pass --root DIR)", ExitCodes.Infrastructure);
        }
    }
}
