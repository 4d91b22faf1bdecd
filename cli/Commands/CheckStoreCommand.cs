using System.CommandLine;
using Csbuild.Cache.Integrity;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>csbuild check-store [--repair]</c>: verifies every blob's digest and every metadata reference of the root,
/// prints one line per problem and a summary; exits 1 while problems remain (after repair, the unrepaired ones).
/// </summary>
internal static class CheckStoreCommand
{
    public static Command Create()
    {
        var repair = new Option<bool>("--repair") { Description = "Drop records that point at lost data and move corrupt blobs to ROOT/quarantine (never deletes good data)" };
        var command = new Command("check-store", "Verify the root's blobs and metadata references; --repair fixes what it safely can") { repair };
        command.SetAction((parse, ct) => CommandErrors.Run(async () =>
        {
            using var root = CommonOptions.OpenRoot(parse);
            var report = await Task.Run(() => StoreChecker.Check(root, parse.GetValue(repair), ct), ct);
            foreach (var problem in report.Problems) Console.Out.WriteLine(problem);
            Console.Error.WriteLine(report.Summary);
            return report.Remaining == 0 ? ExitCodes.Ok : ExitCodes.BuildFailed;
        }));
        return command;
    }
}
