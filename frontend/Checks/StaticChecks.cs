using System.Text.RegularExpressions;
using Csbuild.Frontend.Instructions;
using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Checks;

/// <summary>
/// BuildKit's build checks that need only the Dockerfile itself (the ones that need variable values, such as
/// UndefinedVar and UndefinedArgInFrom, are found during conversion).
/// </summary>
public static partial class StaticChecks
{
    private const string RuleUrl = "https://docs.docker.com/go/dockerfile/rule/";

    [GeneratedRegex("(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)")]
    private static partial Regex SecretName();

    [GeneratedRegex("(?i)public")]
    private static partial Regex SecretAllowed();

    public static List<DockerfileWarning> Run(DockerfileSyntax syntax, DockerfileModel model)
    {
        var warnings = new List<DockerfileWarning>(syntax.Warnings);
        void Warn(InstructionNode node, string rule, string message)
        {
            var (line, column) = node.PositionOf(0);
            warnings.Add(new DockerfileWarning(rule, message, syntax.FileName, line, column, RuleUrl + Kebab(rule) + "/"));
        }

        CasingChecks(syntax, Warn);
        var names = new Dictionary<string, int>();
        foreach (var arg in model.GlobalArgs) SecretChecks(arg, Warn);
        foreach (var stage in model.Stages)
        {
            var from = stage.From;
            if (from.StageName is { } name)
            {
                if (from.StageNameAsWritten != name)
                    Warn(from.Node, "StageNameCasing", $"Stage name '{from.StageNameAsWritten}' should be lowercase");
                if (!names.TryAdd(name, stage.Index))
                    Warn(from.Node, "DuplicateStageName", $"Duplicate stage name \"{name}\", stage names should be unique");
                if (name is "scratch" or "context")
                    Warn(from.Node, "ReservedStageName", $"'{name}' is reserved and should not be used as a stage name");
                var asWord = from.Node.Args[1];
                var fromUpper = from.Node.CommandAsWritten.All(c => !char.IsLetter(c) || char.IsUpper(c));
                var asUpper = asWord.All(c => !char.IsLetter(c) || char.IsUpper(c));
                var asLower = asWord.All(c => !char.IsLetter(c) || char.IsLower(c));
                if ((fromUpper && !asUpper) || (!fromUpper && !asLower))
                    Warn(from.Node, "FromAsCasing", "'as' and 'FROM' keywords' casing do not match");
            }
            if (from.Platform is { } platform)
            {
                if (!platform.Contains('$'))
                    Warn(from.Node, "FromPlatformFlagConstDisallowed", $"FROM --platform flag should not use constant value \"{platform}\"");
                else if (platform is "$TARGETPLATFORM" or "${TARGETPLATFORM}")
                    Warn(from.Node, "RedundantTargetPlatform", $"Setting platform to predefined {platform} in FROM is redundant as this is the default behavior");
            }
            StageChecks(stage, Warn);
        }
        return warnings;
    }

    private static void StageChecks(Stage stage, Action<InstructionNode, string, string> warn)
    {
        var counts = new Dictionary<string, List<Instruction>>();
        var shellChanged = false;
        var absoluteWorkdir = false;
        foreach (var command in stage.Commands)
        {
            var node = command.Node;
            switch (command)
            {
                case CmdInstruction or EntrypointInstruction or HealthcheckInstruction:
                    if (!counts.TryGetValue(node.Command, out var list)) counts[node.Command] = list = [];
                    list.Add(command);
                    if (command is CmdInstruction { PrependShell: true } or EntrypointInstruction { PrependShell: true } && !shellChanged)
                        warn(node, "JSONArgsRecommended",
                            $"JSON arguments recommended for {node.Command.ToUpperInvariant()} to prevent unintended behavior related to OS signals");
                    break;
                case ShellInstruction:
                    shellChanged = true;
                    break;
                case MaintainerInstruction:
                    warn(node, "MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label");
                    break;
                case EnvInstruction or LabelInstruction when node.LegacyKeyValueForm:
                    warn(node, "LegacyKeyValueFormat",
                        $"\"{node.Command.ToUpperInvariant()} key=value\" should be used instead of legacy \"{node.Command.ToUpperInvariant()} key value\" format");
                    break;
                case WorkdirInstruction workdir:
                    if (workdir.Path.StartsWith('/') || workdir.Path.StartsWith('$')) absoluteWorkdir = true;
                    else if (!absoluteWorkdir)
                        warn(node, "WorkdirRelativePath", $"Relative workdir \"{workdir.Path}\" can have unexpected results if the base image changes");
                    break;
                case ExposeInstruction expose:
                    foreach (var port in expose.Ports)
                    {
                        var slash = port.LastIndexOf('/');
                        if (slash >= 0 && port[(slash + 1)..] != port[(slash + 1)..].ToLowerInvariant())
                            warn(node, "ExposeProtoCasing", $"Defined protocol '{port}' in EXPOSE instruction should be lowercase");
                    }
                    break;
            }
            if (command is EnvInstruction or ArgInstruction) SecretChecks(command, warn);
        }
        foreach (var (name, list) in counts)
            foreach (var extra in list.Take(list.Count - 1))
                warn(extra.Node, "MultipleInstructionsDisallowed",
                    $"Multiple {name.ToUpperInvariant()} instructions should not be used in the same stage because only the last one will be used");
    }

    private static void SecretChecks(Instruction command, Action<InstructionNode, string, string> warn)
    {
        IEnumerable<string> names = command switch
        {
            ArgInstruction a => a.Args.Select(x => x.Name),
            EnvInstruction e => e.Pairs.Select(x => x.Key),
            _ => [],
        };
        foreach (var name in names)
            if (SecretName().IsMatch(name) && !SecretAllowed().IsMatch(name))
                warn(command.Node, "SecretsUsedInArgOrEnv",
                    $"Do not use ARG or ENV instructions for sensitive data ({command.Node.Command.ToUpperInvariant()} \"{name}\")");
    }

    /// <summary>Instructions should all be upper case or all lower case: the minority is flagged.</summary>
    private static void CasingChecks(DockerfileSyntax syntax, Action<InstructionNode, string, string> warn)
    {
        var nodes = syntax.Instructions.SelectMany(n => n.Next is null ? [n] : new[] { n, n.Next }).ToList();
        static bool IsLower(string s) => s == s.ToLowerInvariant();
        static bool IsUpper(string s) => s == s.ToUpperInvariant();
        var lower = nodes.Count(n => IsLower(n.CommandAsWritten));
        var upper = nodes.Count(n => IsUpper(n.CommandAsWritten));
        var majorityLower = lower > upper;
        foreach (var node in nodes)
        {
            var name = node.CommandAsWritten;
            if (majorityLower ? IsLower(name) : IsUpper(name)) continue;
            warn(node, "ConsistentInstructionCasing",
                $"Command '{name}' should match the case of the command majority ({(majorityLower ? "lowercase" : "uppercase")})");
        }
    }

    internal static string Kebab(string rule)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < rule.Length; i++)
        {
            var c = rule[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(rule[i - 1]) || (i + 1 < rule.Length && char.IsLower(rule[i + 1])))) sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
