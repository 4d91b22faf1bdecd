using System.Globalization;
using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Instructions;

/// <summary>
/// <c>HEALTHCHECK [--interval=…] [--timeout=…] [--start-period=…] [--start-interval=…] [--retries=N] CMD command</c>
/// or <c>HEALTHCHECK NONE</c>. Test is Docker's form: <c>["NONE"]</c>, <c>["CMD", args…]</c> or <c>["CMD-SHELL", command]</c>.
/// Durations are in nanoseconds; null where the flag was not given.
/// </summary>
public sealed record HealthcheckInstruction(InstructionNode Node, IReadOnlyList<string> Test, long? Interval, long? Timeout,
    long? StartPeriod, long? StartInterval, int? Retries) : Instruction(Node)
{
    private const long MinimumDuration = 1_000_000; // 1ms, as Docker requires

    public static HealthcheckInstruction Parse(InstructionNode node, string fileName)
    {
        var flags = InstructionFlags.Parse(node, fileName, ("interval", FlagKind.String), ("timeout", FlagKind.String),
            ("start-period", FlagKind.String), ("start-interval", FlagKind.String), ("retries", FlagKind.String));
        if (node.Args.Count == 0) throw InstructionErrors.AtLeastOne(node, fileName);
        var type = node.Args[0].ToUpperInvariant();
        switch (type)
        {
            case "NONE":
                if (node.Args.Count > 1 || node.Flags.Count > 0)
                    throw InstructionErrors.At(node, fileName, "HEALTHCHECK NONE takes no arguments");
                return new HealthcheckInstruction(node, ["NONE"], null, null, null, null, null);
            case "CMD":
                if (node.Args.Count < 2)
                    throw InstructionErrors.At(node, fileName, "Missing command after HEALTHCHECK CMD");
                List<string> test = node.Json ? ["CMD", .. node.Args.Skip(1)] : ["CMD-SHELL", node.Args[1]];
                int? retries = null;
                if (flags.String("retries") is { } r)
                {
                    if (!int.TryParse(r, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                        throw InstructionErrors.At(node, fileName, $"invalid retries value {r}: expecting an integer", near: "--retries");
                    if (n < 0) throw InstructionErrors.At(node, fileName, "--retries cannot be negative", near: "--retries");
                    retries = n;
                }
                return new HealthcheckInstruction(node, test, Duration(node, fileName, flags, "interval"), Duration(node, fileName, flags, "timeout"),
                    Duration(node, fileName, flags, "start-period"), Duration(node, fileName, flags, "start-interval"), retries);
            default:
                throw InstructionErrors.At(node, fileName, $"Unknown type \"{node.Args[0]}\" in HEALTHCHECK (try CMD)", "use HEALTHCHECK CMD … or HEALTHCHECK NONE");
        }
    }

    private static long? Duration(InstructionNode node, string fileName, InstructionFlags flags, string name)
    {
        if (flags.String(name) is not { } text) return null;
        if (!GoDuration.TryParse(text, out var ns))
            throw InstructionErrors.At(node, fileName, $"time: invalid duration \"{text}\" for --{name}", "durations look like 30s, 1m30s, 500ms", near: "--" + name);
        if (ns != 0 && ns < MinimumDuration)
            throw InstructionErrors.At(node, fileName, $"Interval \"{name}\" cannot be less than 1ms", near: "--" + name);
        return ns;
    }
}
